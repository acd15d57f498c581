package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.LeaseGrant;
import dev.ballot.client.LockHold;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl lock NAME [--ttl SECONDS] [-- CMD [ARGS...]] */
@Command(
    name = "lock",
    description = {
      "Acquires the lock NAME (etcd's lock: etcdctl lock takes the same locks) under a lease of"
          + " --ttl seconds that kvctl keeps alive, waiting as long as it takes.",
      "With CMD: runs it while holding the lock, with ETCD_LOCK_KEY (the lock key),"
          + " ETCD_LOCK_REV (the revision when it was acquired) and BALLOT_LOCK_REV (the lock key's"
          + " create revision: the fencing token, larger for every later holder) in its"
          + " environment; then releases the lock and exits with CMD's exit code.",
      "Without CMD: prints the lock key and holds the lock until interrupted (Ctrl-C).",
      "If kvctl is paused or cut off longer than the TTL, the lock passes to another client while"
          + " CMD may still run: a resource must refuse a fencing token smaller than one it has"
          + " seen (see the README, Locks and elections)."
    })
final class LockCommand implements Callable<Integer> {
  /** etcdctl lock's default --ttl. */
  private static final long DEFAULT_TTL_SECONDS = 10;

  /** A lock is waited for as long as it takes, as etcdctl does. */
  private static final Duration MAX_WAIT = Duration.ofDays(3650);

  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "The lock's name.")
  String name;

  @Parameters(
      index = "1..*",
      paramLabel = "CMD",
      description = "The command to run while holding the lock (after --).")
  List<String> command = new ArrayList<>();

  @Option(
      names = "--ttl",
      paramLabel = "SECONDS",
      description = "TTL of the lock's lease, in seconds (default: 10).")
  long ttlSeconds = DEFAULT_TTL_SECONDS;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (ttlSeconds <= 0) {
      throw new IllegalArgumentException("--ttl must be positive, got " + ttlSeconds);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ScheduledExecutorService keepAlive =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "kvctl-lock-keepalive");
              thread.setDaemon(true);
              return thread;
            });
    try (BallotClient client = kvctl.openClient()) {
      LeaseGrant lease = client.leases().grant(ttlSeconds).join();
      AtomicBoolean lost = new AtomicBoolean();
      long periodMs = Math.max(100, TimeUnit.SECONDS.toMillis(lease.ttlSeconds()) / 3);
      keepAlive.scheduleWithFixedDelay(
          () -> renew(client, lease.id(), lost, err), periodMs, periodMs, TimeUnit.MILLISECONDS);
      LockHold hold;
      try {
        hold =
            client.locks().lock(name.getBytes(StandardCharsets.UTF_8), lease.id(), MAX_WAIT).join();
      } catch (RuntimeException e) {
        keepAlive.shutdownNow();
        revokeQuietly(client, lease.id());
        throw e;
      }
      try {
        return command.isEmpty() ? holdUntilInterrupted(out, hold) : runHolding(hold);
      } finally {
        keepAlive.shutdownNow();
        release(client, hold, lease.id(), err);
      }
    } finally {
      keepAlive.shutdownNow();
    }
  }

  private int runHolding(LockHold hold) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    builder.environment().put("ETCD_LOCK_KEY", new String(hold.key(), StandardCharsets.UTF_8));
    builder.environment().put("ETCD_LOCK_REV", Long.toString(hold.revision()));
    builder.environment().put("BALLOT_LOCK_REV", Long.toString(hold.fencingToken()));
    Process process = builder.start();
    return process.waitFor();
  }

  /** As etcdctl: prints the key and keeps the lock until the process is interrupted. */
  private static int holdUntilInterrupted(PrintWriter out, LockHold hold)
      throws InterruptedException {
    out.println(new String(hold.key(), StandardCharsets.UTF_8));
    out.flush();
    CountDownLatch interrupted = new CountDownLatch(1);
    CountDownLatch released = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              interrupted.countDown();
              try {
                // Let the main thread release the lock before the JVM ends.
                released.await(5, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "kvctl-lock-release");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      interrupted.await();
    } finally {
      released.countDown();
    }
    return ExitCodes.OK;
  }

  private static void renew(
      BallotClient client, long leaseId, AtomicBoolean lost, PrintWriter err) {
    try {
      long ttl = client.leases().keepAliveOnce(leaseId).join();
      if (ttl == 0 && lost.compareAndSet(false, true)) {
        err.println("kvctl: lock lost: lease " + Long.toHexString(leaseId) + " expired");
        err.flush();
      }
    } catch (RuntimeException e) {
      // The next renewal tries again; the lease outlives a few failures.
    }
  }

  /** Unlocks, then revokes the lease (which would release the lock by itself too). */
  private static void release(BallotClient client, LockHold hold, long leaseId, PrintWriter err) {
    try {
      client.locks().unlock(hold.key()).join();
    } catch (RuntimeException e) {
      err.println("kvctl: unlock failed, the lock goes when its lease ends: " + e.getMessage());
    }
    revokeQuietly(client, leaseId);
  }

  private static void revokeQuietly(BallotClient client, long leaseId) {
    try {
      client.leases().revoke(leaseId).join();
    } catch (RuntimeException e) {
      // Gone already, or unreachable: it expires by itself within its TTL.
    }
  }
}
