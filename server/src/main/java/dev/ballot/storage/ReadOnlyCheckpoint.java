package dev.ballot.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * A checkpoint (a local snapshot's folder) opened read-only with its key-value families; one taken
 * by an earlier version has no {@code kv_events} and keeps its history in {@code kv_meta}.
 */
public final class ReadOnlyCheckpoint implements AutoCloseable {
  /**
   * Table files kept open at once (RocksDB opens more while iterators need them): a read in key
   * order holds every level-0 file and one file per other level, of each family.
   */
  static final int MAX_OPEN_FILES = 64;

  private final RocksDbLog rocksLog = new RocksDbLog();

  /**
   * A snapshot is opened to read a few keys (what it holds, right after each take) or to read it
   * through once in key order: neither needs every table file opened up front, which RocksDB does
   * by default (one open, footer and index read per file, hundreds of files for a long history).
   * Nor helper threads: RocksDB starts {@code max_file_opening_threads - 1} of them per family on
   * every open (60 per take with four families and the default of 16), however few files it loads.
   */
  private final DBOptions dbOptions =
      new DBOptions()
          .setLogger(rocksLog)
          .setMaxOpenFiles(MAX_OPEN_FILES)
          .setMaxFileOpeningThreads(1)
          .setSkipStatsUpdateOnDbOpen(true);

  private final ColumnFamilyOptions familyOptions = new ColumnFamilyOptions();
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final RocksDB db;

  /**
   * @throws UncheckedIOException if RocksDB cannot open it
   */
  public ReadOnlyCheckpoint(Path checkpoint) {
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions));
    descriptors.add(
        new ColumnFamilyDescriptor(RocksDbRaftStorage.KV_DATA.getBytes(UTF_8), familyOptions));
    descriptors.add(
        new ColumnFamilyDescriptor(RocksDbRaftStorage.KV_META.getBytes(UTF_8), familyOptions));
    byte[] events = RocksDbRaftStorage.KV_EVENTS.getBytes(UTF_8);
    try (Options options = new Options()) {
      if (RocksDB.listColumnFamilies(options, checkpoint.toString()).stream()
          .anyMatch(name -> Arrays.equals(name, events))) {
        descriptors.add(new ColumnFamilyDescriptor(events, familyOptions));
      }
      db = RocksDB.openReadOnly(dbOptions, checkpoint.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      closeOptions();
      throw new UncheckedIOException(new IOException("cannot open snapshot " + checkpoint, e));
    }
  }

  public RocksDB db() {
    return db;
  }

  public KvFamilies kvFamilies() {
    return handles.size() > 3
        ? new KvFamilies(handles.get(1), handles.get(2), handles.get(3))
        : KvFamilies.withEventsInMeta(handles.get(1), handles.get(2));
  }

  @Override
  public void close() {
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    closeOptions();
  }

  private void closeOptions() {
    familyOptions.close();
    dbOptions.close();
    rocksLog.close();
  }
}
