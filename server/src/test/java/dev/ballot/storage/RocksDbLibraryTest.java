package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbLibraryTest {
  @TempDir Path tmp;

  @Test
  void theCopyOfAProcessThatDiedIsRemovedAndALiveOnesIsKept() throws IOException {
    Path dead = Files.createDirectory(tmp.resolve("ballot-rocksdb-" + deadPid() + "-123"));
    Files.write(dead.resolve("librocksdbjni-linux64.so"), new byte[1024]);
    Path live =
        Files.createDirectory(
            tmp.resolve("ballot-rocksdb-" + ProcessHandle.current().pid() + "-456"));
    Files.write(live.resolve("librocksdbjni-linux64.so"), new byte[1024]);
    Path other = Files.createDirectory(tmp.resolve("ballot-rocksdb-not-a-pid"));

    RocksDbLibrary.removeLeftovers(tmp);

    assertThat(dead).doesNotExist();
    assertThat(live.resolve("librocksdbjni-linux64.so")).exists();
    assertThat(other).exists();
  }

  @Test
  void loadingLeavesNoCopyInTheTemporaryDirectory() throws IOException {
    RocksDbLibrary.load();
    RocksDbLibrary.load(); // once per JVM

    Path systemTmp = Path.of(System.getProperty("java.io.tmpdir"));
    String mine = "ballot-rocksdb-" + ProcessHandle.current().pid() + "-";
    try (var files = Files.list(systemTmp)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.startsWith(mine));
    }
  }

  private static long deadPid() {
    long pid = 4_000_000; // some pid that no process has now
    while (ProcessHandle.of(pid).isPresent()) {
      pid++;
    }
    return pid;
  }
}
