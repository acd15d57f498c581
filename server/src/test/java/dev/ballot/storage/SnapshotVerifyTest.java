package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.SnapshotMeta;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged local snapshot (a flipped bit, a truncated or missing file) stops start-up. */
class SnapshotVerifyTest {
  @TempDir Path data;
  private Path snapshot;

  @BeforeEach
  void takeSnapshot() throws Exception {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(data.resolve("db"))) {
      for (int i = 0; i < 500; i++) {
        storage
            .db()
            .put(storage.kvFamilies().data(), ("key-" + i).getBytes(), "v".repeat(100).getBytes());
      }
      SnapshotDir dir = SnapshotDir.open(data.resolve("snapshots"));
      SnapshotMeta meta = new SnapshotMeta(42, 3, ClusterConfig.ofVoters(List.of(1L, 2L, 3L)));
      snapshot = dir.take(storage.db(), new SnapshotInfo(meta, 7)).path();
    }
  }

  private Path file(String suffix) throws IOException {
    try (Stream<Path> files = Files.list(snapshot)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + suffix + " in " + snapshot));
    }
  }

  private static void flipByteAt(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x04);
    }
  }

  private void assertStartUpRefused(String... fragments) {
    var thrown =
        assertThatThrownBy(() -> SnapshotDir.open(data.resolve("snapshots")))
            .isInstanceOf(StorageCorruptionException.class)
            .hasMessageContaining("snapshot at index 42 in " + snapshot);
    for (String fragment : fragments) {
      thrown.hasMessageContaining(fragment);
    }
  }

  @Test
  void intactSnapshotOpens() {
    assertThat(SnapshotDir.open(data.resolve("snapshots")).list()).hasSize(1);
  }

  @Test
  void flippedBitInAnSstFileIsFound() throws IOException {
    Path sst = file(".sst");
    flipByteAt(sst, Files.size(sst) / 3);
    assertStartUpRefused(sst.getFileName().toString());
  }

  @Test
  void truncatedFileIsFound() throws IOException {
    Path manifest;
    try (Stream<Path> files = Files.list(snapshot)) {
      manifest =
          files.filter(p -> p.getFileName().toString().startsWith("MANIFEST-")).findFirst().get();
    }
    try (RandomAccessFile f = new RandomAccessFile(manifest.toFile(), "rw")) {
      f.setLength(f.length() - 1);
    }
    assertStartUpRefused(manifest.getFileName().toString(), "expected");
  }

  @Test
  void flippedBitInASmallFileIsFound() throws IOException {
    Path current = snapshot.resolve("CURRENT");
    flipByteAt(current, 0);
    assertStartUpRefused("CURRENT", "checksum mismatch");
  }

  @Test
  void missingFileIsFound() throws IOException {
    Path sst = file(".sst");
    Files.delete(sst);
    assertStartUpRefused(sst.getFileName().toString(), "missing");
  }

  @Test
  void damagedInfoIsFound() throws IOException {
    flipByteAt(snapshot.resolve(SnapshotDir.INFO_FILE), 6);
    assertStartUpRefused("checksum mismatch");
  }

  @Test
  void damagedManifestIsFound() throws IOException {
    flipByteAt(snapshot.resolve(SnapshotManifest.FILE), 2);
    assertStartUpRefused(SnapshotManifest.FILE);
  }
}
