package dev.ballot.storage;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.rocksdb.EnvOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileWriter;

/**
 * Receives the dump of a snapshot (see {@link SnapshotReader}) into a fresh folder, then turns it
 * into SST files ready to ingest: {@code data.sst} (kv_data, absent if empty), {@code meta.sst}
 * (kv_meta) and {@code events.sst} (kv_events: the dump's kv_meta records that are events, absent
 * if none; see {@link KvFamilies}). The caller verifies checksums; the SST writer refuses keys out
 * of order. Until {@link #finish} publishes the folder, {@link #abort} leaves nothing behind.
 */
public final class SnapshotStager implements AutoCloseable {
  static final String DUMP_FILE = "dump";
  static final String DATA_SST = "data.sst";
  static final String META_SST = "meta.sst";
  static final String EVENTS_SST = "events.sst";

  /** One key or value may not exceed this; a larger length means a corrupt stream. */
  private static final int MAX_RECORD_PART_BYTES = 64 * 1024 * 1024;

  private final SnapshotDir dir;
  private final Path tmp;
  private final OutputStream dump;
  private boolean done;

  public SnapshotStager(SnapshotDir dir, long index) throws IOException {
    this.dir = dir;
    this.tmp = dir.newIncoming(index);
    Files.createDirectories(tmp);
    this.dump = new BufferedOutputStream(Files.newOutputStream(tmp.resolve(DUMP_FILE)), 1 << 16);
  }

  public void append(byte[] data) throws IOException {
    dump.write(data);
  }

  /**
   * Converts the dump into SST files, records {@code info} and publishes the folder.
   *
   * @return the staged folder
   * @throws IOException if the dump is malformed or the disk fails
   */
  public Path finish(SnapshotInfo info) throws IOException {
    dump.close();
    Path dumpFile = tmp.resolve(DUMP_FILE);
    try (Options options = new Options();
        EnvOptions env = new EnvOptions();
        SstFileWriter data = new SstFileWriter(env, options);
        SstFileWriter meta = new SstFileWriter(env, options);
        SstFileWriter events = new SstFileWriter(env, options);
        DataInputStream in =
            new DataInputStream(new BufferedInputStream(Files.newInputStream(dumpFile), 1 << 16))) {
      boolean dataOpen = false;
      boolean metaOpen = false;
      boolean eventsOpen = false;
      // The meta records go to two files: their order is checked across both here.
      byte[] lastMeta = null;
      while (true) {
        int family;
        try {
          family = in.readUnsignedByte();
        } catch (EOFException e) {
          break;
        }
        byte[] key = readPart(in);
        byte[] value = readPart(in);
        if (family == SnapshotReader.FAMILY_META) {
          if (lastMeta != null && Arrays.compareUnsigned(key, lastMeta) <= 0) {
            throw new IOException("snapshot dump has kv_meta records out of order");
          }
          lastMeta = key;
        }
        if (family == SnapshotReader.FAMILY_DATA) {
          if (lastMeta != null) {
            throw new IOException("snapshot dump has kv_data after kv_meta");
          }
          if (!dataOpen) {
            data.open(tmp.resolve(DATA_SST).toString());
            dataOpen = true;
          }
          data.put(key, value);
        } else if (family == SnapshotReader.FAMILY_META && KvFamilies.isEventKey(key)) {
          if (!eventsOpen) {
            events.open(tmp.resolve(EVENTS_SST).toString());
            eventsOpen = true;
          }
          events.put(key, value);
        } else if (family == SnapshotReader.FAMILY_META) {
          if (!metaOpen) {
            meta.open(tmp.resolve(META_SST).toString());
            metaOpen = true;
          }
          meta.put(key, value);
        } else {
          throw new IOException("snapshot dump has unknown family " + family);
        }
      }
      if (!metaOpen) {
        throw new IOException("snapshot dump has no kv_meta");
      }
      if (dataOpen) {
        data.finish();
      }
      meta.finish();
      if (eventsOpen) {
        events.finish();
      }
    } catch (RocksDBException e) {
      throw new IOException("snapshot dump cannot be staged: " + e.getMessage(), e);
    }
    Files.delete(dumpFile);
    SnapshotDir.writeSynced(tmp.resolve(SnapshotDir.INFO_FILE), info.encode());
    Path staged = dir.publishStaged(tmp, info.meta().index(), info.meta().term());
    done = true;
    return staged;
  }

  private static byte[] readPart(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_RECORD_PART_BYTES) {
      throw new IOException("snapshot dump record part of " + length + " bytes");
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  /** Deletes the partial folder (a failed or abandoned transfer). */
  public void abort() {
    if (!done) {
      done = true;
      try {
        dump.close();
      } catch (IOException e) {
        // the folder goes anyway
      }
      SnapshotDir.deleteTree(tmp);
    }
  }

  @Override
  public void close() {
    abort();
  }
}
