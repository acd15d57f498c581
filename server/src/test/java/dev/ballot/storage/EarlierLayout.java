package dev.ballot.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/** A storage as versions before kv_events wrote it: no kv_events, the history in kv_meta. */
final class EarlierLayout {
  /** kv_meta's keys besides the events: the applied index and a lease. */
  static final List<String> META_KEYS = List.of(hex("applied_index".getBytes(UTF_8)), "f207");

  private EarlierLayout() {}

  /**
   * Writes such a storage into {@code dir}: the applied index, a lease, and {@code count} events of
   * 2 KB (in kv_meta, under their prefix, between the two). Returns the events, keys in hex.
   */
  static Map<String, String> write(Path dir, int count) throws RocksDBException {
    Map<String, String> events = new TreeMap<>();
    try (DBOptions options =
            new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        ColumnFamilyOptions family = new ColumnFamilyOptions()) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      List<ColumnFamilyDescriptor> families =
          Stream.of("default", "raft_meta", "raft_log", "kv_data", "kv_meta")
              .map(name -> new ColumnFamilyDescriptor(name.getBytes(UTF_8), family))
              .toList();
      try (RocksDB db = RocksDB.open(options, dir.toString(), families, handles)) {
        ColumnFamilyHandle meta = handles.get(4);
        db.put(meta, "applied_index".getBytes(UTF_8), Integer.toString(count).getBytes(UTF_8));
        db.put(meta, new byte[] {(byte) 0xf2, 7}, "a lease".getBytes(UTF_8));
        for (long revision = 1; revision <= count; revision++) {
          String value = "event " + revision + " " + "v".repeat(2_000);
          db.put(meta, eventKey(revision), value.getBytes(UTF_8));
          events.put(hex(eventKey(revision)), value);
        }
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
    return events;
  }

  static byte[] eventKey(long revision) {
    return ByteBuffer.allocate(9).put((byte) KvFamilies.EVENTS_PREFIX).putLong(revision).array();
  }

  /** Every record of the family, keys in hex. */
  static Map<String, String> contents(RocksDB db, ColumnFamilyHandle family) {
    Map<String, String> out = new TreeMap<>();
    try (RocksIterator it = db.newIterator(family)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.put(hex(it.key()), new String(it.value(), UTF_8));
      }
    }
    return out;
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
