package dev.ballot.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Runs the deterministic simulation over many seeds. {@code -Dsim.seeds=N} sets how many (default
 * 2000), {@code -Dsim.firstSeed=S} where to start, {@code -Dsim.seed=S} reruns exactly one, and
 * {@code -Dsim.mix=NAME} runs every seed with one {@link FaultMix}.
 */
class SimulationTest {
  /** A seed that once failed, with its mix (as run with -Dsim.mix), and the bug it found. */
  private record Regression(long seed, FaultMix mix, String bug) {}

  /**
   * Seeds that found bugs, run on every build. A change to the simulation may send a seed down
   * another path; the bug then stays covered by its unit test, and by the seeds that find it again.
   */
  private static final List<Regression> REGRESSIONS =
      List.of(
          new Regression(
              58,
              FaultMix.MEMBERSHIP,
              "voters ignored every RequestVote from a node their stale config lists as no voter:"
                  + " a lagging voter refused the only candidate that could win"),
          new Regression(124, FaultMix.MEMBERSHIP, "as seed 58"),
          new Regression(302, FaultMix.MEMBERSHIP, "as seed 58"),
          new Regression(
              824,
              FaultMix.MEMBERSHIP,
              "the driver asked to send a snapshot older than the newest one the state machine"
                  + " had just taken: the transport must send the newest (as the server's does)"),
          new Regression(
              579,
              FaultMix.CRASHES_WITH_COMPACTION,
              "after a crash the state machine was ahead of the stored commit index; the restart"
                  + " must start the core from the lower of the two (RaftStorage"
                  + ".loadForStateMachineAt)"),
          new Regression(1266, FaultMix.CRASHES_WITH_COMPACTION, "as seed 579"),
          new Regression(
              613,
              FaultMix.MEMBERSHIP,
              "a RequestVote of a lower term went unanswered: a candidate outside the others'"
                  + " configuration never learned their term and campaigned below it forever"),
          new Regression(
              5203,
              FaultMix.CHAOS,
              "the in-memory snapshots kept one staged image: a duplicated older InstallSnapshot"
                  + " replaced the one being installed (the server stages each by index and term)"),
          new Regression(
              340,
              FaultMix.CRASHES_WITH_COMPACTION,
              "a crash between the parts of a range delete (found with the finish on open taken"
                  + " out, KvStore.finishInterruptedDelete): the replay deleted the rest afresh"
                  + " and the replica's history differed"),
          new Regression(809, FaultMix.LEADER_CHURN, "as seed 340"));

  @Test
  void seedsThatFoundBugsStillPass() {
    List<String> failures = new ArrayList<>();
    for (Regression r : REGRESSIONS) {
      try {
        runSeed(r.seed(), r.mix());
      } catch (AssertionError e) {
        failures.add(e.getMessage() + "\n  (found before: " + r.bug() + ")");
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void safetyAndLivenessHoldAcrossSeededFaultMixes() throws Exception {
    String single = System.getProperty("sim.seed", "");
    long first = Long.parseLong(System.getProperty("sim.firstSeed", "1"));
    int count = Integer.parseInt(System.getProperty("sim.seeds", "2000"));
    if (!single.isBlank()) {
      first = Long.parseLong(single.trim());
      count = 1;
    }
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<Simulation.Result>> runs = new ArrayList<>();
    for (long seed = first; seed < first + count; seed++) {
      long s = seed;
      runs.add(pool.submit(() -> runSeed(s)));
    }
    List<String> failures = new ArrayList<>();
    Map<FaultMix, long[]> totals = new EnumMap<>(FaultMix.class);
    for (Future<Simulation.Result> f : runs) {
      try {
        Simulation.Result r = f.get();
        long[] t = totals.computeIfAbsent(r.mix(), k -> new long[12]);
        t[0]++;
        t[1] += r.okWrites();
        t[2] += r.okReads();
        t[3] += r.events();
        t[4] += r.snapshotsInstalled();
        t[5] += r.configChanges();
        t[6] += r.joiners();
        t[7] += r.leadersRemoved();
        t[8] += r.transfers();
        t[9] += r.okForwardedWrites();
        t[10] += r.forwardedChangesAcked();
        t[11] += r.okWritesUnappliedThere();
      } catch (java.util.concurrent.ExecutionException e) {
        failures.add(e.getCause().getMessage());
      }
    }
    pool.shutdown();
    totals.forEach(
        (mix, t) ->
            System.out.printf(
                "simulation %-24s runs=%d acked-writes=%d (forwarded %d, unapplied there %d)"
                    + " reads=%d events=%d snapshots-installed=%d%s%n",
                mix,
                t[0],
                t[1],
                t[9],
                t[11],
                t[2],
                t[3],
                t[4],
                mix.membership
                    ? String.format(
                        " config-changes=%d joiners=%d leaders-removed=%d transfers=%d"
                            + " (changes acknowledged through a follower %d)",
                        t[5], t[6], t[7], t[8], t[10])
                    : ""));
    assertThat(failures).as("failing seeds (rerun one with -Dsim.seed=SEED)").isEmpty();
    // A simulation that stops exercising the cluster would pass vacuously.
    long ackedWrites = totals.values().stream().mapToLong(t -> t[1]).sum();
    assertThat(ackedWrites).isGreaterThan(count);
    // Every fault mix must serve writes (some through a follower) and reads, not only survive.
    totals.forEach(
        (mix, t) -> {
          if (t[0] >= 20) {
            assertThat(t[1]).as("writes acknowledged in %s runs", mix).isGreaterThan(t[0] * 20);
            assertThat(t[9])
                .as("forwarded writes acknowledged in %s runs", mix)
                .isGreaterThan(t[0]);
            assertThat(t[2]).as("reads served in %s runs", mix).isGreaterThan(t[0] * 10);
          }
        });
    // Nodes that fall far behind must really catch up by snapshot, not only in name.
    long[] farBehind = totals.get(FaultMix.FAR_BEHIND);
    if (farBehind != null && farBehind[0] >= 20) {
      assertThat(farBehind[4])
          .as("snapshots installed in FAR_BEHIND runs")
          .isGreaterThan(farBehind[0] / 2);
    }
    // Membership runs must really change the membership, the leader's included.
    long[] changing = totals.get(FaultMix.MEMBERSHIP);
    if (changing != null && changing[0] >= 20) {
      assertThat(changing[5]).as("committed configuration changes").isGreaterThan(changing[0]);
      assertThat(changing[6]).as("joiners started").isGreaterThan(changing[0] / 2);
      assertThat(changing[7]).as("leaders removed").isGreaterThan(changing[0] / 10);
      assertThat(changing[8]).as("leadership transfers").isGreaterThan(changing[0] / 10);
      assertThat(changing[10])
          .as("membership changes acknowledged by a follower that forwarded them")
          .isGreaterThan(changing[0] / 10);
    }
  }

  private static Simulation.Result runSeed(long seed) {
    String onlyMix = System.getProperty("sim.mix", "");
    return runSeed(seed, onlyMix.isBlank() ? null : FaultMix.valueOf(onlyMix.trim()));
  }

  private static Simulation.Result runSeed(long seed, FaultMix onlyMix) {
    Simulation sim = new Simulation(seed, onlyMix);
    try {
      return sim.run();
    } catch (Throwable t) {
      String msg =
          "seed "
              + seed
              + " ("
              + sim.nodeCount()
              + " nodes, "
              + sim.mix()
              + ") failed at "
              + sim.nowMs()
              + " ms: "
              + t
              + sim.describeNodes();
      throw new AssertionError(msg, t);
    }
  }
}
