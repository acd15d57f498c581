package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The move of an earlier version's history out of kv_meta, halted at each of its steps in a JVM of
 * its own ({@code Runtime.halt}: nothing is flushed or closed, and writes made without the WAL are
 * lost, as under SIGKILL). The next open must end with every event in kv_events, none left in
 * kv_meta, and kv_meta's own keys untouched.
 */
class HistoryMoveCrashTest {
  private static final int EVENTS = 2_500;

  @TempDir Path dir;

  /** Opens the storage in the directory given, then exits 0; a crash point halts it before. */
  public static final class Open {
    public static void main(String[] args) {
      RocksDbRaftStorage.open(Path.of(args[0])).close();
      System.exit(0);
    }
  }

  /** The steps of the move a crash can fall between. */
  static List<String> movePoints() {
    return List.of(
        CrashPoints.EVENTS_MOVE_AFTER_COPY,
        CrashPoints.EVENTS_MOVE_AFTER_FLUSH,
        CrashPoints.EVENTS_MOVE_AFTER_DELETE);
  }

  @ParameterizedTest
  @MethodSource("movePoints")
  void aMoveHaltedAtAnyStepIsFinishedByTheNextOpen(String point) throws Exception {
    Path db = dir.resolve("db");
    Path log = dir.resolve("halted.log");
    Map<String, String> events = EarlierLayout.write(db, EVENTS);

    runHalted(point, log, Open.class, db.toString());

    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(db)) {
      KvFamilies kv = storage.kvFamilies();
      assertThat(EarlierLayout.contents(storage.db(), kv.events())).isEqualTo(events);
      assertThat(EarlierLayout.contents(storage.db(), kv.meta()).keySet())
          .containsExactlyElementsOf(EarlierLayout.META_KEYS);
    }
  }

  /**
   * Runs {@code main} with {@code args} in a JVM of its own, the crash point {@code point} armed,
   * and checks that it halted there; its output goes to {@code log}.
   */
  static void runHalted(String point, Path log, Class<?> main, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-D" + CrashPoints.PROPERTY + "=" + point);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    Process halted =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      assertThat(halted.waitFor(60, TimeUnit.SECONDS)).as("the JVM ended").isTrue();
    } finally {
      halted.destroyForcibly(); // it holds the database's lock
    }
    assertThat(halted.exitValue())
        .as(() -> "halted at " + point + "; its output:\n" + read(log))
        .isEqualTo(CrashPoints.EXIT_CODE);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
