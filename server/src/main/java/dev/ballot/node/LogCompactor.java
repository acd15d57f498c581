package dev.ballot.node;

import dev.ballot.storage.RaftStorage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the stored log below a snapshot off the driver's loop (the range delete is quick but
 * compacting the range away blocks). Requests arriving while one runs merge into the next run (the
 * highest index wins), so a runner that drops a task while one is queued loses nothing.
 */
final class LogCompactor {
  private static final Logger log = LoggerFactory.getLogger(LogCompactor.class);

  private final RaftStorage storage;
  private final Executor executor;
  private final Consumer<Throwable> onFatal;
  private final AtomicLong requested = new AtomicLong();
  private long done;

  LogCompactor(RaftStorage storage, Executor executor, Consumer<Throwable> onFatal) {
    this.storage = storage;
    this.executor = executor;
    this.onFatal = onFatal;
  }

  /** Asks for the stored log up to {@code index} to go; a snapshot must cover it already. */
  void compactThrough(long index) {
    requested.accumulateAndGet(index, Math::max);
    executor.execute(this::run);
  }

  private synchronized void run() {
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
}
