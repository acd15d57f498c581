package dev.ballot.cluster;

import dev.ballot.node.RaftDriver;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Role;
import dev.ballot.transport.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * While this node leads, promotes a learner whose log is close to the leader's, one at a time. Each
 * check is a timer step; the next is scheduled when the previous one has finished.
 */
public final class LearnerPromoter {
  private static final Logger log = LoggerFactory.getLogger(LearnerPromoter.class);

  public static final long CHECK_INTERVAL_MS = 200;

  /** A promotion without a result by then is looked at again at the next check. */
  private static final long PROMOTE_TIMEOUT_MS = 10_000;

  private final RaftDriver<?> driver;
  private final MembershipChanges changes;
  private final TaskTimer timer;
  private volatile boolean running;

  public LearnerPromoter(RaftDriver<?> driver, MembershipChanges changes, TaskTimer timer) {
    this.driver = driver;
    this.changes = changes;
    this.timer = timer;
  }

  public void start() {
    running = true;
    timer.schedule(this::check, CHECK_INTERVAL_MS);
  }

  public void stop() {
    running = false;
  }

  private void check() {
    if (!running) {
      return;
    }
    if (driver.status().role() != Role.LEADER) {
      timer.schedule(this::check, CHECK_INTERVAL_MS);
      return;
    }
    driver
        .call(
            node -> {
              ClusterConfig config = node.cluster();
              if (node.configIndex() > node.commitIndex()) {
                return 0L;
              }
              for (long id : config.learners()) {
                if (MembershipChanges.inSync(node, id)) {
                  return id;
                }
              }
              return 0L;
            })
        .thenCompose(
            learner ->
                learner == 0
                    ? java.util.concurrent.CompletableFuture.completedFuture(null)
                    : Deadlines.within(timer, changes.promote(learner), PROMOTE_TIMEOUT_MS)
                        .thenRun(() -> log.info("promoted learner node={} to voter", learner)))
        .whenComplete(
            (v, error) -> {
              if (error != null) {
                log.debug("learner promotion deferred: {}", Failures.cause(error).toString());
              }
              timer.schedule(this::check, CHECK_INTERVAL_MS);
            });
  }
}
