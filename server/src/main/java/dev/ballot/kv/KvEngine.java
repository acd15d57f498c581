package dev.ballot.kv;

import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.StorageCorruptionException;

/**
 * What the {@link KvStore} needs from storage: two ordered key spaces ({@link KvSpace}), reads of
 * the committed state, and atomic, unsynced writes of batches. Durability comes from elsewhere: the
 * Raft log is synced and the store replays it from its applied index after a crash.
 *
 * <p>Threads: one writer (the apply thread, which alone uses {@link #live}); {@link #snapshot} from
 * any thread.
 */
public interface KvEngine extends AutoCloseable {
  /**
   * The committed state as each read finds it, for the writing thread, which sees its own writes.
   * Cheaper than a snapshot; no need to close it.
   */
  KvView live();

  /** The committed state at this moment, unaffected by later writes until closed. */
  KvView snapshot();

  KvBatch newBatch();

  /**
   * Writes {@code batch} atomically, without a sync.
   *
   * @param index the log index this batch applies, named in the error if the write fails
   * @throws DiskFailureException if the disk failed the write: the node must stop
   * @throws StorageCorruptionException if the storage found corrupt data: the node must stop
   */
  void write(KvBatch batch, long index);

  /**
   * Removes the keys of {@code [from, to)} from {@code space} at once, without a sync and outside
   * any batch (for a range too large for one: a compaction's history).
   *
   * @param index the log index being applied, named in the error if the write fails
   * @throws DiskFailureException if the disk failed the write: the node must stop
   */
  void deleteRange(KvSpace space, byte[] from, byte[] to, long index);

  /** Releases what the engine holds; the data stays where it lives (the disk, or the memory). */
  @Override
  void close();
}
