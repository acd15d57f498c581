package dev.ballot.node;

import dev.ballot.storage.RaftStorage;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the stored log below a snapshot on a thread of its own ({@code raft-compact-ID}): the
 * range delete is quick but compacting the range away blocks. One compaction at a time; requests
 * arriving meanwhile merge into the next one (the highest index wins).
 */
final class LogCompactor {
  private static final Logger log = LoggerFactory.getLogger(LogCompactor.class);

  private final RaftStorage storage;
  private final Consumer<Throwable> onFatal;
  private final AtomicLong requested = new AtomicLong();
  private long done;
  private final ThreadPoolExecutor executor;

  LogCompactor(RaftStorage storage, long nodeId, Consumer<Throwable> onFatal) {
    this.storage = storage;
    this.onFatal = onFatal;
    this.executor =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1),
            r -> new Thread(r, "raft-compact-" + nodeId),
            new ThreadPoolExecutor.DiscardPolicy());
    executor.allowCoreThreadTimeOut(true);
  }

  /** Asks for the stored log up to {@code index} to go; a snapshot must cover it already. */
  void compactThrough(long index) {
    requested.accumulateAndGet(index, Math::max);
    executor.execute(this::run); // a full queue already holds a run that will see the new index
  }

  private void run() {
    long target = requested.get();
    if (target <= done) {
      return;
    }
    try {
      storage.compact(target);
      done = target;
    } catch (RuntimeException e) {
      log.error("log compaction failed index={}", target);
      FatalErrors.log(log, "log compaction", e);
      onFatal.accept(e);
    }
  }

  /** Stops; returns false if a compaction was still running after the wait. */
  boolean close() throws InterruptedException {
    executor.shutdown();
    return executor.awaitTermination(10, TimeUnit.SECONDS);
  }
}
