package dev.ballot.cluster;

import dev.ballot.kv.proto.Command;

/** Whether the store has room for a write (etcd's NOSPACE alarm and quota). */
public interface WriteQuota {
  /** Whether the store is over its quota or its alarm is raised (cheap; no decoding). */
  boolean full();

  /** Whether {@code command} is refused for lack of space. */
  boolean refuses(Command command);

  /** A store without a quota. */
  WriteQuota NONE =
      new WriteQuota() {
        @Override
        public boolean full() {
          return false;
        }

        @Override
        public boolean refuses(Command command) {
          return false;
        }
      };
}
