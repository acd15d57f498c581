package dev.ballot.storage;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the history's small files in the background ({@link HistoryFiles}): every {@link
 * #CHECK_EVERY_MS} it merges each run that is due, one after the other. A merge that fails is
 * logged and tried again at the next check; RocksDB keeps the files it had (a failed write of the
 * new ones may put RocksDB in its background-error state, which the node's next write reports).
 */
public final class HistoryMerger implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HistoryMerger.class);

  /** A run fills in tens of snapshots: a check every few seconds keeps up. */
  static final long CHECK_EVERY_MS = 5_000;

  private final RocksDbRaftStorage storage;
  private final ScheduledExecutorService timer;

  private HistoryMerger(RocksDbRaftStorage storage) {
    this.storage = storage;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "history-merge");
              t.setDaemon(true);
              return t;
            });
  }

  public static HistoryMerger start(RocksDbRaftStorage storage) {
    HistoryMerger merger = new HistoryMerger(storage);
    merger.timer.scheduleWithFixedDelay(
        merger::check, CHECK_EVERY_MS, CHECK_EVERY_MS, TimeUnit.MILLISECONDS);
    return merger;
  }

  private void check() {
    try {
      while (!timer.isShutdown() && storage.mergeHistoryFiles() > 0) {
        // the next run may be due already (a backlog after an upgrade)
      }
    } catch (RuntimeException e) {
      log.warn("history merge failed, trying again later error=\"{}\"", e.getMessage());
    }
  }

  /** Stops the checks; a merge in progress is cancelled and waited for. */
  @Override
  public void close() {
    timer.shutdownNow();
    storage.cancelHistoryMerges();
    try {
      if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("history merge still running after 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
