package dev.ballot.it;

import com.google.protobuf.ByteString;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Puts of known keys under {@link #PREFIX} and how each ended. A key's final value must be its last
 * acknowledged one, or one whose put ended without a definite answer (such a put may take effect at
 * any time after it was sent, even after a later acknowledged one). Nothing else writes under the
 * prefix. Single-threaded.
 */
final class AckedPuts {
  static final ByteString PREFIX = ByteString.copyFromUtf8("\u0000\u0000ack/");

  /** The first key after every key that starts with {@link #PREFIX}. */
  static final ByteString PREFIX_END = Etcd.prefixEnd(PREFIX);

  private final TreeMap<String, KeyHistory> keys = new TreeMap<>();
  private int acknowledged;
  private int uncertain;

  private static final class KeyHistory {
    String lastAcknowledged; // null: none yet
    final Set<String> uncertain = new LinkedHashSet<>();
  }

  static ByteString key(int n) {
    return PREFIX.concat(ByteString.copyFromUtf8(Integer.toString(n)));
  }

  void acknowledged(ByteString key, String value) {
    keys.computeIfAbsent(key.toStringUtf8(), k -> new KeyHistory()).lastAcknowledged = value;
    acknowledged++;
  }

  /** The put failed; unless the failure says nothing was written, it may still apply. */
  void uncertain(ByteString key, String value) {
    keys.computeIfAbsent(key.toStringUtf8(), k -> new KeyHistory()).uncertain.add(value);
    uncertain++;
  }

  int acknowledgedCount() {
    return acknowledged;
  }

  int uncertainCount() {
    return uncertain;
  }

  Set<String> keys() {
    return keys.keySet();
  }

  /** Null if {@code actual} (empty: the key is absent) is allowed, else what was expected. */
  String violation(String key, Optional<String> actual) {
    KeyHistory history = keys.get(key);
    if (actual.isPresent() && history.uncertain.contains(actual.get())) {
      return null;
    }
    if (history.lastAcknowledged == null) {
      return actual.isEmpty()
          ? null
          : "no put acknowledged, value " + actual.get() + " not among " + history.uncertain;
    }
    if (actual.isPresent() && actual.get().equals(history.lastAcknowledged)) {
      return null;
    }
    return "last acknowledged "
        + history.lastAcknowledged
        + " (or one of "
        + history.uncertain
        + "), found "
        + actual.orElse("no key");
  }
}
