package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ballot.linearizability.KvChecker;
import dev.ballot.linearizability.KvOp;
import dev.ballot.linearizability.Operation;
import dev.ballot.linearizability.Verdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Linearizability of real processes. Six clients, two pinned to each node of a 3-node cluster, do
 * linearizable gets, puts and compare-and-swaps on four keys while nodes are killed (SIGKILL, then
 * restarted), paused (SIGSTOP, then SIGCONT) and cut off (the leader, or a follower), one fault at
 * a time, each healed before the next. The history, writes of unknown outcome included, must be
 * linearizable ({@link KvChecker}); gets and writes must have succeeded through every fault; the
 * longest time without a successful write is printed per fault.
 *
 * <p>By default each kind of fault strikes once (about a minute). {@code -Dballot.lin.seconds=N}
 * runs for N seconds instead, faults in random order and random lengths from {@code
 * -Dballot.lin.seed} (printed); {@code scripts/linearizability.sh --seconds N} does that. {@code
 * -Dballot.lin.rounds=N} strikes each kind N times instead, {@code -Dballot.lin.faults=KILL,PAUSE}
 * picks the kinds, {@code -Dballot.lin.leaderOnly=true} strikes only leaders, and {@code
 * -Dballot.lin.timeouts=server} runs the servers with their default heartbeat and election timeout
 * rather than the harness's fast ones ({@code =50/500} sets them in milliseconds); {@code
 * scripts/failover.sh} combines them.
 *
 * <p>Each fault's report gives the longest time without an acknowledged write and the elections
 * (terms begun, the highest term any node reports) from its start to the next fault's.
 */
class LinearizabilityTest {
  private static final List<String> KEYS = List.of("lin/a", "lin/b", "lin/c", "lin/d");
  private static final int CLIENTS = 6;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration RECOVERY_BOUND = Duration.ofSeconds(30);
  private static final Duration WARM_UP = Duration.ofSeconds(2);
  private static final Duration SHORT_FAULT = Duration.ofSeconds(5);
  private static final Duration SHORT_CALM = Duration.ofSeconds(3);
  private static final int LONG_FAULT_MIN_MS = 1_000;
  private static final int LONG_FAULT_MAX_MS = 8_000;
  private static final int LONG_CALM_MIN_MS = 1_000;
  private static final int LONG_CALM_MAX_MS = 5_000;
  private static final int ROUND_FAULT_MIN_MS = 1_000;
  private static final int ROUND_FAULT_MAX_MS = 3_000;
  private static final int ROUND_CALM_MIN_MS = 1_000;
  private static final int ROUND_CALM_MAX_MS = 2_000;

  @RegisterExtension final Clusters clusters = new Clusters();

  @BeforeEach
  void needsLinkFaults() {
    assumeTrue(
        ServerFlavor.fromSystemProperty().supportsLinkFaults(),
        "per-link proxies need kvserver's per-node --initial-cluster");
  }

  @Test
  void historyUnderKillsPausesAndPartitionsIsLinearizable() {
    long runSeconds = Long.getLong("ballot.lin.seconds", 0);
    int rounds = Integer.getInteger("ballot.lin.rounds", 0);
    List<FaultKind> kinds = faultKinds(System.getProperty("ballot.lin.faults", ""));
    boolean leaderOnly = Boolean.getBoolean("ballot.lin.leaderOnly");
    long seed = Long.getLong("ballot.lin.seed", System.nanoTime());
    System.out.printf(
        "linearizability: %s of %s%s, timeouts %s, seed %d (-Dballot.lin.seed)%n",
        rounds > 0
            ? rounds + " rounds"
            : runSeconds == 0 ? "one fault of each kind" : runSeconds + " s of faults",
        kinds,
        leaderOnly ? " on leaders" : "",
        System.getProperty("ballot.lin.timeouts", "50/500 (harness)"),
        seed);
    Random random = new Random(seed);
    KvCluster.Builder builder = clusters.builder().nodes(3);
    builder.timeouts(System.getProperty("ballot.lin.timeouts", ""));
    KvCluster cluster = clusters.start(builder);
    RunClock clock = RunClock.startingNow();
    List<RandomKvClient> clients = new ArrayList<>();
    List<FaultWindow> windows = new ArrayList<>();
    List<KvOp> history = new ArrayList<>();
    Map<String, Integer> failureReasons = new TreeMap<>();
    try {
      for (int c = 0; c < CLIENTS; c++) {
        clients.add(
            RandomKvClient.start(
                c, cluster, c % cluster.size(), REQUEST_TIMEOUT, clock, KEYS, random.nextLong()));
      }
      hold(cluster, WARM_UP, "the warm-up");
      long deadlineNanos = System.nanoTime() + Duration.ofSeconds(runSeconds).toNanos();
      List<FaultKind> cycle = new ArrayList<>(kinds);
      boolean randomSchedule = runSeconds > 0 || rounds > 0;
      Map<FaultKind, Integer> occurrences = new EnumMap<>(FaultKind.class);
      int struck = 0;
      int round = 0;
      do {
        if (randomSchedule) {
          Collections.shuffle(cycle, random);
        }
        for (FaultKind kind : cycle) {
          Duration fault =
              rounds > 0
                  ? millisBetween(random, ROUND_FAULT_MIN_MS, ROUND_FAULT_MAX_MS)
                  : randomSchedule
                      ? millisBetween(random, LONG_FAULT_MIN_MS, LONG_FAULT_MAX_MS)
                      : SHORT_FAULT;
          Duration calm =
              rounds > 0
                  ? millisBetween(random, ROUND_CALM_MIN_MS, ROUND_CALM_MAX_MS)
                  : randomSchedule
                      ? millisBetween(random, LONG_CALM_MIN_MS, LONG_CALM_MAX_MS)
                      : SHORT_CALM;
          // KILL and PAUSE strike the leader and a follower in turn (the leader first).
          boolean leader = leaderOnly || occurrences.merge(kind, 1, Integer::sum) % 2 == 1;
          windows.add(strike(cluster, clock, clients, kind, leader, fault, calm));
          struck++;
        }
        round++;
      } while (rounds > 0 ? round < rounds : System.nanoTime() < deadlineNanos);
      System.out.printf("linearizability: %d faults struck%n", struck);
    } finally {
      for (RandomKvClient client : clients) {
        history.addAll(client.stop());
        client
            .failureReasons()
            .forEach((reason, n) -> failureReasons.merge(reason, n, Integer::sum));
      }
    }
    long endMicros = clock.nowMicros();
    windows = closeWindows(windows, endMicros, highestTerm(cluster));

    Path historyFile = cluster.dir().resolve("history.txt");
    writeHistory(history, historyFile);
    long checkStart = System.nanoTime();
    Verdict verdict = KvChecker.check(history);
    long checkMs = (System.nanoTime() - checkStart) / 1_000_000;
    System.out.println(summary(history, verdict, checkMs));
    System.out.println(writeGaps(history, windows));
    System.out.println("failures by reason:");
    failureReasons.forEach((reason, n) -> System.out.printf("  %6d %s%n", n, reason));

    assertThat(verdict.outcome())
        .as("the history (%s):\n%s", historyFile, verdict.explanation())
        .isEqualTo(Verdict.Outcome.LINEARIZABLE);
    assertThat(count(history, KvOp.Kind.GET, KvOp.Outcome.OK)).as("gets read").isGreaterThan(100);
    assertThat(count(history, KvOp.Kind.PUT, KvOp.Outcome.OK)).as("puts acked").isGreaterThan(100);
    assertThat(count(history, KvOp.Kind.CAS, KvOp.Outcome.OK))
        .as("compare-and-swaps that swapped")
        .isGreaterThan(10);
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      assertThat(history)
          .as("client %d (node %d) got an answer", c, c % cluster.size())
          .anyMatch(op -> op.client() == client && op.completedAt() != Operation.NEVER);
    }
    assertThat(windows.stream().map(FaultWindow::kind).distinct())
        .containsExactlyInAnyOrderElementsOf(kinds);
  }

  /**
   * Applies one fault for {@code fault}, heals it, waits until a write invoked after the heal
   * succeeds, then lets the cluster run calm for {@code calm}.
   */
  private static FaultWindow strike(
      KvCluster cluster,
      RunClock clock,
      List<RandomKvClient> clients,
      FaultKind kind,
      boolean leader,
      Duration fault,
      Duration calm) {
    long termBefore = highestTerm(cluster);
    long startMicros = clock.nowMicros();
    int target = kind.start(cluster, leader);
    hold(cluster, fault, kind + " of node " + target);
    kind.heal(cluster, target);
    long healedMicros = clock.nowMicros();
    // Every node back with a leader before the next fault, so that faults do not add up.
    cluster.awaitReady();
    long readyMicros = clock.nowMicros();
    await("a write invoked after healing " + kind + " of node " + target + " to succeed")
        .atMost(RECOVERY_BOUND)
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              cluster.failOnUnexpectedExit();
              return clients.stream().anyMatch(c -> c.lastAckedWriteInvokedMicros() > healedMicros);
            });
    hold(cluster, calm, "the calm after " + kind);
    return new FaultWindow(
        kind,
        target,
        kind.strikesLeader(leader),
        startMicros,
        healedMicros,
        readyMicros,
        startMicros,
        termBefore,
        termBefore);
  }

  /** The highest Raft term any serving node reports. */
  private static long highestTerm(KvCluster cluster) {
    long term = 0;
    for (int i = 0; i < cluster.size(); i++) {
      term = Math.max(term, cluster.tryStatus(i).map(s -> s.getRaftTerm()).orElse(0L));
    }
    return term;
  }

  /** The kinds named in {@code -Dballot.lin.faults} (comma-separated), or all of them. */
  private static List<FaultKind> faultKinds(String names) {
    if (names.isBlank()) {
      return List.of(FaultKind.values());
    }
    return Arrays.stream(names.split(","))
        .map(String::trim)
        .filter(n -> !n.isEmpty())
        .map(n -> FaultKind.valueOf(n.toUpperCase(Locale.ROOT)))
        .distinct()
        .toList();
  }

  /** Lets {@code length} pass, failing at once if a node exits by itself meanwhile. */
  private static void hold(KvCluster cluster, Duration length, String what) {
    await("no node to exit by itself during " + what)
        .during(length)
        .atMost(length.plusSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              cluster.failOnUnexpectedExit();
              return true;
            });
  }

  private static Duration millisBetween(Random random, int minMs, int maxMs) {
    return Duration.ofMillis(minMs + random.nextInt(maxMs - minMs + 1));
  }

  /** Each window ends where the next begins; the last at the end of the run. */
  private static List<FaultWindow> closeWindows(
      List<FaultWindow> open, long endMicros, long endTerm) {
    List<FaultWindow> closed = new ArrayList<>();
    for (int i = 0; i < open.size(); i++) {
      FaultWindow w = open.get(i);
      boolean last = i + 1 == open.size();
      long end = last ? endMicros : open.get(i + 1).startMicros();
      long term = last ? endTerm : open.get(i + 1).termBefore();
      closed.add(w.endingAt(end, term));
    }
    return closed;
  }

  private static String writeGaps(List<KvOp> history, List<FaultWindow> windows) {
    long[] acked =
        history.stream()
            .filter(op -> op.kind() != KvOp.Kind.GET && op.outcome() == KvOp.Outcome.OK)
            .mapToLong(KvOp::completedAt)
            .sorted()
            .toArray();
    Map<String, List<Long>> gapsMs = new TreeMap<>();
    Map<String, List<Long>> elections = new TreeMap<>();
    StringBuilder out = new StringBuilder();
    for (FaultWindow w : windows) {
      long gapMs = w.longestWriteGapMicros(acked) / 1_000;
      String fault = w.kind() + " " + role(w);
      gapsMs.computeIfAbsent(fault, f -> new ArrayList<>()).add(gapMs);
      elections.computeIfAbsent(fault, f -> new ArrayList<>()).add(w.elections());
      out.append(
          String.format(
              "  at %6.1f s %-16s node %d (%-8s) for %5d ms, all back %5d ms after: longest write gap"
                  + " %5d ms, elections %d%n",
              w.startMicros() / 1e6,
              w.kind(),
              w.target(),
              role(w),
              w.faultMs(),
              w.rejoinMs(),
              gapMs,
              w.elections()));
    }
    out.append("longest write gap per fault (ms) and elections:\n");
    out.append(
        String.format(
            "  %-25s %6s %6s %6s %6s %10s%n",
            "fault", "count", "median", "p90", "max", "elections"));
    gapsMs.forEach(
        (fault, gaps) -> {
          List<Long> sorted = gaps.stream().sorted().toList();
          List<Long> terms = elections.get(fault);
          out.append(
              String.format(
                  "  %-25s %6d %6d %6d %6d %4d-%-5d%n",
                  fault,
                  sorted.size(),
                  percentile(sorted, 50),
                  percentile(sorted, 90),
                  sorted.get(sorted.size() - 1),
                  terms.stream().mapToLong(Long::longValue).min().orElse(0),
                  terms.stream().mapToLong(Long::longValue).max().orElse(0)));
        });
    return out.toString();
  }

  /** The nearest-rank percentile of sorted values. */
  private static long percentile(List<Long> sorted, int percent) {
    int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  private static String role(FaultWindow w) {
    return w.leader() ? "leader" : "follower";
  }

  private static String summary(List<KvOp> history, Verdict verdict, long checkMs) {
    long writes = history.stream().filter(op -> op.kind() != KvOp.Kind.GET).count();
    return String.format(
        "linearizability: %d ops on %d keys by %d clients: gets %d read, %d failed; puts %d acked;"
            + " compare-and-swaps %d swapped, %d mismatched; writes %d unknown, %d failed, of %d."
            + " Checked in %d ms (%d states): %s",
        history.size(),
        KEYS.size(),
        CLIENTS,
        count(history, KvOp.Kind.GET, KvOp.Outcome.OK),
        count(history, KvOp.Kind.GET, KvOp.Outcome.UNKNOWN),
        count(history, KvOp.Kind.PUT, KvOp.Outcome.OK),
        count(history, KvOp.Kind.CAS, KvOp.Outcome.OK),
        count(history, KvOp.Kind.CAS, KvOp.Outcome.MISMATCH),
        history.stream()
            .filter(op -> op.kind() != KvOp.Kind.GET && op.outcome() == KvOp.Outcome.UNKNOWN)
            .count(),
        history.stream()
            .filter(op -> op.kind() != KvOp.Kind.GET && op.outcome() == KvOp.Outcome.FAILED)
            .count(),
        writes,
        checkMs,
        verdict.statesExplored(),
        verdict.outcome());
  }

  private static long count(List<KvOp> history, KvOp.Kind kind, KvOp.Outcome outcome) {
    return history.stream().filter(op -> op.kind() == kind && op.outcome() == outcome).count();
  }

  /** The whole history, in invocation order, for a failure to be looked into. */
  private static void writeHistory(List<KvOp> history, Path file) {
    List<String> lines =
        history.stream()
            .sorted(Comparator.comparingLong(KvOp::invokedAt))
            .map(op -> new Operation<>(op, op.invokedAt(), op.completedAt()) + " us")
            .toList();
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, lines);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
