package dev.ballot.cluster;

import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.kv.proto.Command;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts the history as {@link AutoCompaction} says, the way etcd's compactor does: every node
 * samples its revision once a second, and the leader alone proposes a compaction through the log
 * when the revision to keep from has moved past the last compaction. Periodic mode compacts to the
 * newest revision sampled at least one period ago; revision mode to the current revision minus the
 * retention.
 */
public final class AutoCompactor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AutoCompactor.class);
  private static final long TICK_MS = 1000;

  private final AutoCompaction policy;
  private final LongSupplier revision;
  private final LongSupplier compactRevision;
  private final BooleanSupplier leading;
  private final Function<Command, CompletableFuture<?>> propose;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService thread;

  /** (nanoTime, revision) samples, oldest first; only the timer thread touches them. */
  private final Deque<long[]> samples = new ArrayDeque<>();

  private CompletableFuture<?> inFlight = CompletableFuture.completedFuture(null);

  public AutoCompactor(
      AutoCompaction policy,
      LongSupplier revision,
      LongSupplier compactRevision,
      BooleanSupplier leading,
      Function<Command, CompletableFuture<?>> propose,
      long nodeId) {
    this(policy, revision, compactRevision, leading, propose, System::nanoTime, nodeId);
    if (policy.enabled()) {
      thread.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
      log.info(
          "auto-compaction mode={} retention={}",
          policy.mode(),
          policy.mode() == AutoCompaction.Mode.PERIODIC ? policy.period() : policy.revisions());
    }
  }

  /** Not started: the caller ticks it, on the clock it gives (for tests). */
  AutoCompactor(
      AutoCompaction policy,
      LongSupplier revision,
      LongSupplier compactRevision,
      BooleanSupplier leading,
      Function<Command, CompletableFuture<?>> propose,
      LongSupplier nanoTime,
      long nodeId) {
    this.nanoTime = nanoTime;
    this.policy = policy;
    this.revision = revision;
    this.compactRevision = compactRevision;
    this.leading = leading;
    this.propose = propose;
    this.thread =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "compactor-" + nodeId);
              t.setDaemon(true);
              return t;
            });
  }

  /** One sample, and a compaction proposed if the leader's target moved past the last one. */
  void tick() {
    try {
      long now = nanoTime.getAsLong();
      long current = revision.getAsLong();
      samples.addLast(new long[] {now, current});
      long target = target(now, current);
      if (target > compactRevision.getAsLong() && leading.getAsBoolean() && inFlight.isDone()) {
        Command command =
            Command.newBuilder()
                .setCompaction(CompactionRequest.newBuilder().setRevision(target))
                .build();
        log.info("auto-compaction revision={}", target);
        inFlight =
            propose
                .apply(command)
                .whenComplete(
                    (r, error) -> {
                      if (error != null) {
                        log.info(
                            "auto-compaction not done revision={} reason={}",
                            target,
                            error.getMessage());
                      }
                    });
      }
    } catch (RuntimeException e) {
      log.warn("auto-compaction tick failed", e);
    }
  }

  /** The revision to compact to now; 0 if none yet. */
  private long target(long now, long current) {
    if (policy.mode() == AutoCompaction.Mode.REVISION) {
      return current - policy.revisions();
    }
    long cutoff = now - policy.period().toNanos();
    long target = 0;
    // Keep the newest sample at least a period old (the target) and everything after it.
    while (!samples.isEmpty() && samples.peekFirst()[0] <= cutoff) {
      target = samples.pollFirst()[1];
    }
    if (target > 0) {
      samples.addFirst(new long[] {cutoff, target});
    }
    return target;
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
