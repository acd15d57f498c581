package dev.ballot.storage;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test-only crash points on the snapshot path and in the move of an earlier version's history. A
 * node started with {@code -Dballot.crashpoint=NAME} halts with exit code {@value #EXIT_CODE} when
 * it reaches point NAME: {@code Runtime.halt}, so no shutdown hook runs and nothing is flushed, as
 * under SIGKILL. Process tests (it/SnapshotCrashTest) kill a node this way at each step of taking,
 * sending, receiving and installing a snapshot; {@code HistoryMoveCrashTest} halts a JVM in each
 * step of the move. Without the property {@link #hit} compares a static final null and returns.
 * Kept in storage, the lowest package that reaches these steps, so no package gains a dependency.
 */
public final class CrashPoints {
  private static final Logger log = LoggerFactory.getLogger(CrashPoints.class);

  public static final String PROPERTY = "ballot.crashpoint";

  /** What a shell reports for a process killed by SIGKILL (128 + 9). */
  public static final int EXIT_CODE = 137;

  /** Taking: the checkpoint and its info are written, not yet renamed to their final name. */
  public static final String TAKE_AFTER_CHECKPOINT = "snapshot.take.after-checkpoint";

  /** Taking: the snapshot folder is complete; the driver has not saved its meta nor compacted. */
  public static final String TAKE_BEFORE_COMPACT = "snapshot.take.before-compact";

  /** Sending (leader): a chunk that is not the last one was sent. */
  public static final String SEND_MID_STREAM = "snapshot.send.mid-stream";

  /** Receiving: a chunk that is not the last one was written to the incoming folder. */
  public static final String RECEIVE_MID_STREAM = "snapshot.receive.mid-stream";

  /** Receiving: the snapshot is staged (SST files, published); the driver was not told yet. */
  public static final String RECEIVE_STAGED = "snapshot.receive.staged";

  /** Installing: the install marker is written and synced; the store is untouched. */
  public static final String INSTALL_AFTER_MARKER = "snapshot.install.after-marker";

  /** Installing: the staged SST files are ingested; the Raft log is not replaced yet. */
  public static final String INSTALL_AFTER_INGEST = "snapshot.install.after-ingest";

  /** Installing: the Raft log is replaced by the snapshot; the marker is not cleared yet. */
  public static final String INSTALL_AFTER_LOG_REPLACED = "snapshot.install.after-log-replaced";

  /** Moving the history to kv_events: copied (unsynced, not flushed), not yet deleted. */
  public static final String EVENTS_MOVE_AFTER_COPY = "storage.events-move.after-copy";

  /** Moving the history: the copies are flushed; kv_meta still holds the events. */
  public static final String EVENTS_MOVE_AFTER_FLUSH = "storage.events-move.after-flush";

  /** Moving the history: kv_meta's events deleted (unsynced, not flushed). */
  public static final String EVENTS_MOVE_AFTER_DELETE = "storage.events-move.after-delete";

  public static final List<String> ALL =
      List.of(
          TAKE_AFTER_CHECKPOINT,
          TAKE_BEFORE_COMPACT,
          SEND_MID_STREAM,
          RECEIVE_MID_STREAM,
          RECEIVE_STAGED,
          INSTALL_AFTER_MARKER,
          INSTALL_AFTER_INGEST,
          INSTALL_AFTER_LOG_REPLACED,
          EVENTS_MOVE_AFTER_COPY,
          EVENTS_MOVE_AFTER_FLUSH,
          EVENTS_MOVE_AFTER_DELETE);

  private static final String ARMED = armed(System.getProperty(PROPERTY));

  private CrashPoints() {}

  /** Halts the process if it was started with this crash point; otherwise does nothing. */
  public static void hit(String name) {
    if (ARMED != null && ARMED.equals(name)) {
      log.warn("crashpoint hit name={} exitCode={}", name, EXIT_CODE);
      Runtime.getRuntime().halt(EXIT_CODE);
    }
  }

  private static String armed(String name) {
    if (name == null || name.isEmpty()) {
      return null;
    }
    if (!ALL.contains(name)) {
      throw new IllegalStateException("-D" + PROPERTY + "=" + name + " names none of " + ALL);
    }
    log.warn("crashpoint armed name={}", name);
    return name;
  }
}
