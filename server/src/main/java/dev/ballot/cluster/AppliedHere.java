package dev.ballot.cluster;

import dev.ballot.node.RaftDriver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wait before a node answers work the leader carried out for it, as etcd answers: until this
 * node has applied the leader's entry too, so that the client then finds the result here
 * (serializable reads, hashes, member lists). The work is committed, so a node that has not applied
 * it by the deadline (it fell behind, or was cut off after the leader answered) answers all the
 * same: saying otherwise would be wrong.
 */
final class AppliedHere {
  private static final Logger log = LoggerFactory.getLogger(AppliedHere.class);

  private AppliedHere() {}

  /**
   * Completes normally once {@code driver} has applied {@code index}, or when {@code deadlineNanos}
   * (the injected timer's clock) passes; at once if it has already (index 0: nothing to wait for).
   */
  static CompletableFuture<Void> await(
      RaftDriver<?> driver, TaskTimer timer, long index, long deadlineNanos) {
    if (index <= driver.appliedIndex()) {
      return CompletableFuture.completedFuture(null);
    }
    long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - timer.nowNanos());
    if (remainingMs <= 0) {
      log.debug("answered before applying here index={}", index);
      return CompletableFuture.completedFuture(null);
    }
    return Deadlines.within(timer, driver.whenApplied(index), remainingMs)
        .handle(
            (applied, error) -> {
              if (error != null) {
                log.debug(
                    "answered before applying here index={} error={}", index, error.toString());
              }
              return null;
            });
  }
}
