package dev.ballot;

import dev.ballot.membership.Identity;
import dev.ballot.storage.RocksDbRaftStorage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does when it learns it was removed from the cluster: remembers it (synced), then
 * stops after two election timeouts (so that answers in flight, like the one to the client that
 * asked to remove this node while it led, still go out); later starts refuse.
 */
final class StopOnRemoval implements Consumer<String> {
  /** The stop reason of a node that learnt it was removed: it exits cleanly, for good. */
  static final String REASON = "removed from the cluster";

  // The node's start-up and stop lines keep the logger name operators know.
  private static final Logger log = LoggerFactory.getLogger(KvServer.class);

  private final Identity identity;
  private final RocksDbRaftStorage storage;
  private final long electionTimeoutMs;
  private final CountDownLatch stop;
  private final AtomicReference<Object> fatal;

  StopOnRemoval(
      Identity identity,
      RocksDbRaftStorage storage,
      long electionTimeoutMs,
      CountDownLatch stop,
      AtomicReference<Object> fatal) {
    this.identity = identity;
    this.storage = storage;
    this.electionTimeoutMs = electionTimeoutMs;
    this.stop = stop;
    this.fatal = fatal;
  }

  /** {@code why}: how this node learnt it was removed. */
  @Override
  public void accept(String why) {
    synchronized (StopOnRemoval.class) {
      if (fatal.get() == REASON) {
        return;
      }
      log.warn(
          "this node was removed from the cluster node={} cluster={} reason=\"{}\"; stopping",
          identity.nodeId(),
          identity.clusterIdHex(),
          why);
      storage.writeIdentity(identity.markedRemoved().encode());
      fatal.compareAndSet(null, REASON);
      Thread delayed =
          new Thread(
              () -> {
                try {
                  Thread.sleep(2 * electionTimeoutMs);
                } catch (InterruptedException e) {
                  // stopping anyway
                }
                stop.countDown();
              },
              "removed-stop");
      delayed.setDaemon(true);
      delayed.start();
    }
  }
}
