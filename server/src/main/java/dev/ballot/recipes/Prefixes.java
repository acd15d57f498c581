package dev.ballot.recipes;

import com.google.protobuf.ByteString;

/** Keys of the recipes: {@code name/} holds one key per contender, named by its lease in hex. */
final class Prefixes {
  private Prefixes() {}

  static ByteString of(ByteString name) {
    return name.concat(ByteString.copyFromUtf8("/"));
  }

  /** etcd's {@code fmt.Sprintf("%s%x", prefix, leaseId)}: lower-case hex, a sign if negative. */
  static ByteString contenderKey(ByteString prefix, long lease) {
    String hex = lease < 0 ? "-" + Long.toHexString(-lease) : Long.toHexString(lease);
    return prefix.concat(ByteString.copyFromUtf8(hex));
  }
}
