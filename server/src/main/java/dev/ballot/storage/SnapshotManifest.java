package dev.ballot.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * {@code snapshot.files}: every file of a local snapshot with its size, and the CRC32C of each file
 * but the SST files, whose blocks carry RocksDB's own checksums (reading them all at every snapshot
 * would hold up the apply thread). One line per file, {@code name size crc}, then {@code crc32c X}
 * over the lines before it. {@link #verify} checks a snapshot folder against it at start-up.
 */
record SnapshotManifest(List<FileEntry> files) {
  static final String FILE = "snapshot.files";
  private static final long NOT_SUMMED = -1;

  record FileEntry(String name, long sizeBytes, long crc32c) {}

  SnapshotManifest {
    files = List.copyOf(files);
  }

  /** The manifest of the files now in {@code dir} (the manifest itself and the info excluded). */
  static SnapshotManifest of(Path dir) throws IOException {
    List<FileEntry> files = new ArrayList<>();
    for (Path p : listFiles(dir)) {
      String name = p.getFileName().toString();
      files.add(new FileEntry(name, Files.size(p), name.endsWith(".sst") ? NOT_SUMMED : crc(p)));
    }
    return new SnapshotManifest(files);
  }

  byte[] encode() {
    StringBuilder text = new StringBuilder();
    for (FileEntry f : files) {
      text.append(f.name()).append(' ').append(f.sizeBytes()).append(' ').append(f.crc32c());
      text.append('\n');
    }
    byte[] body = text.toString().getBytes(UTF_8);
    return (text + "crc32c " + crc(body) + "\n").getBytes(UTF_8);
  }

  static SnapshotManifest decode(byte[] bytes, Path where) {
    String text = new String(bytes, UTF_8);
    int last = text.lastIndexOf("crc32c ");
    if (last < 0 || !text.endsWith("\n")) {
      throw corrupt(where, "it is truncated");
    }
    byte[] body = text.substring(0, last).getBytes(UTF_8);
    try {
      if (Long.parseLong(text.substring(last + 7, text.length() - 1)) != crc(body)) {
        throw corrupt(where, "checksum mismatch");
      }
      List<FileEntry> files = new ArrayList<>();
      for (String line : text.substring(0, last).split("\n")) {
        if (line.isEmpty()) {
          continue;
        }
        String[] f = line.split(" ");
        files.add(new FileEntry(f[0], Long.parseLong(f[1]), Long.parseLong(f[2])));
      }
      return new SnapshotManifest(files);
    } catch (RuntimeException e) {
      if (e instanceof StorageCorruptionException c) {
        throw c;
      }
      throw corrupt(where, "unreadable: " + e.getMessage());
    }
  }

  /**
   * Checks that {@code dir} holds exactly these files with these sizes and checksums, and that
   * RocksDB's block checksums of its SST files hold.
   *
   * @throws StorageCorruptionException naming the file that differs
   */
  void verify(Path dir) throws IOException {
    List<String> present = listFiles(dir).stream().map(p -> p.getFileName().toString()).toList();
    for (FileEntry f : files) {
      Path p = dir.resolve(f.name());
      if (!present.contains(f.name())) {
        throw corrupt(p, "the file is missing");
      }
      long size = Files.size(p);
      if (size != f.sizeBytes()) {
        throw corrupt(p, size + " bytes, " + f.sizeBytes() + " expected (truncated?)");
      }
      if (f.crc32c() != NOT_SUMMED && crc(p) != f.crc32c()) {
        throw corrupt(p, "checksum mismatch");
      }
    }
    verifyBlockChecksums(dir);
  }

  /** Opens the checkpoint read-only and has RocksDB read every block of every SST file. */
  static void verifyBlockChecksums(Path dir) {
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (RocksDbLog rocksLog = new RocksDbLog();
        DBOptions options = new DBOptions().setLogger(rocksLog);
        Options listOptions = new Options();
        ColumnFamilyOptions familyOptions = new ColumnFamilyOptions()) {
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (byte[] name : RocksDB.listColumnFamilies(listOptions, dir.toString())) {
        descriptors.add(new ColumnFamilyDescriptor(name, familyOptions));
      }
      try (RocksDB db = RocksDB.openReadOnly(options, dir.toString(), descriptors, handles)) {
        db.verifyChecksum();
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    } catch (RocksDBException e) {
      throw corrupt(dir, e.getMessage());
    }
  }

  private static List<Path> listFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile)
          .filter(
              p ->
                  !p.getFileName().toString().equals(FILE)
                      && !p.getFileName().toString().equals(SnapshotDir.INFO_FILE))
          .sorted()
          .toList();
    }
  }

  private static long crc(Path file) {
    CRC32C crc = new CRC32C();
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return crc.getValue();
  }

  private static long crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return crc.getValue();
  }

  private static StorageCorruptionException corrupt(Path where, String why) {
    return new StorageCorruptionException("snapshot file " + where + " is corrupt: " + why);
  }
}
