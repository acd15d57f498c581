package dev.ballot.kv;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.mvcc.KeyValue;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The user's keys ({@link KvSpace#DATA}) as they were at a past revision, read from the current
 * state and the {@link History} since: a key unchanged since then reads as it is now; a key changed
 * since reads as the {@code prev_kv} of its first change after the revision (none: it did not
 * exist). The other spaces read as in {@code base}. The cost of a read grows with the number of
 * changes since the revision, which compaction bounds.
 *
 * <p>The caller checks that the revision is not compacted (its history is kept) and not in the
 * future. Single-threaded, like the view it wraps; closing it does not close {@code base}.
 */
final class RevisionView implements KvView {
  private final KvView base;
  private final long revision;

  /**
   * The keys changed after the revision, each with its record at the revision (null: absent then),
   * in key order; built on the first scan.
   */
  private TreeMap<ByteString, KeyValue> changed;

  RevisionView(KvView base, long revision) {
    this.base = base;
    this.revision = revision;
  }

  @Override
  public byte[] get(KvSpace space, byte[] key) {
    byte[] now = base.get(space, key);
    if (space != KvSpace.DATA) {
      return now;
    }
    if (now != null && KeySpace.decode(key, now).getModRevision() <= revision) {
      return now;
    }
    ByteString wanted = ByteString.copyFrom(key);
    KeyValue[] then = {null};
    History.scan(
        base,
        revision + 1,
        (rev, event) -> {
          if (!event.getKv().getKey().equals(wanted)) {
            return true;
          }
          then[0] = event.hasPrevKv() ? event.getPrevKv() : null;
          return false;
        });
    return then[0] == null ? null : stored(then[0]);
  }

  @Override
  public void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor) {
    if (space != KvSpace.DATA) {
      base.scan(space, from, to, visitor);
      return;
    }
    if (to != null && KeyRanges.compare(from, to) >= 0) {
      return;
    }
    ByteString start = ByteString.copyFrom(from);
    Changes changes =
        new Changes(
            to == null
                ? changedKeys().tailMap(start, true)
                : changedKeys().subMap(start, true, ByteString.copyFrom(to), false));
    boolean[] stopped = {false};
    base.scan(
        KvSpace.DATA,
        from,
        to,
        (key, position) -> {
          ByteString current = ByteString.copyFrom(key);
          // Changed keys that sort before this one come first; a changed key replaces this one.
          while (changes.next != null
              && KeyRanges.ORDER.compare(changes.next.getKey(), current) <= 0) {
            boolean same = changes.next.getKey().equals(current);
            if (!changes.visitNext(visitor)) {
              stopped[0] = true;
              return false;
            }
            if (same) {
              return true;
            }
          }
          // Unchanged since the revision: as it is now.
          stopped[0] = !visitor.visit(key, position);
          return !stopped[0];
        });
    while (!stopped[0] && changes.next != null) {
      stopped[0] = !changes.visitNext(visitor);
    }
  }

  /** The changed keys of a scan's range, consumed in key order. */
  private static final class Changes {
    private final Iterator<Map.Entry<ByteString, KeyValue>> entries;
    Map.Entry<ByteString, KeyValue> next;

    Changes(NavigableMap<ByteString, KeyValue> inRange) {
      this.entries = inRange.entrySet().iterator();
      advance();
    }

    /** Visits the next changed key if it existed at the revision, and moves on; true to go on. */
    boolean visitNext(Visitor visitor) {
      Map.Entry<ByteString, KeyValue> change = next;
      advance();
      if (change.getValue() == null) {
        return true;
      }
      byte[] value = stored(change.getValue());
      return visitor.visit(change.getKey().toByteArray(), () -> value);
    }

    private void advance() {
      next = entries.hasNext() ? entries.next() : null;
    }
  }

  private TreeMap<ByteString, KeyValue> changedKeys() {
    if (changed == null) {
      TreeMap<ByteString, KeyValue> map = new TreeMap<>(KeyRanges.ORDER);
      History.scan(
          base,
          revision + 1,
          (rev, event) -> {
            // The first change after the revision holds the record at the revision.
            if (!map.containsKey(event.getKv().getKey())) {
              map.put(event.getKv().getKey(), event.hasPrevKv() ? event.getPrevKv() : null);
            }
            return true;
          });
      changed = map;
    }
    return changed;
  }

  /** The stored form of a record from history: without its key. */
  private static byte[] stored(KeyValue kv) {
    return KeySpace.encode(kv.toBuilder().clearKey().build());
  }

  @Override
  public void close() {}
}
