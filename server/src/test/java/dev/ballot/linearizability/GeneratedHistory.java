package dev.ballot.linearizability;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Long linearizable histories for the checker's tests: clients each run one op at a time on random
 * keys; every op takes effect at a random instant within its interval, in the order of those
 * instants, on a real register per key. A few writes end unknown, of which half took effect.
 */
final class GeneratedHistory {
  private static final double UNKNOWN_WRITE_SHARE = 0.05;

  private record Planned(
      int client, int seq, String key, int kindRoll, long inv, long at, long done) {}

  private GeneratedHistory() {}

  static List<KvOp> linearizable(long seed, int clients, int keys, int ops) {
    Random random = new Random(seed);
    List<Planned> planned = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      long t = random.nextInt(5);
      for (int seq = 0; seq < ops / clients; seq++) {
        long at = t + 1 + random.nextInt(10);
        long done = at + 1 + random.nextInt(10);
        planned.add(
            new Planned(c, seq, "k" + random.nextInt(keys), random.nextInt(10), t, at, done));
        t = done + 1 + random.nextInt(3);
      }
    }
    planned.sort(Comparator.comparingLong(Planned::at));
    Map<String, String> state = new HashMap<>();
    Map<String, String> previous = new HashMap<>();
    List<KvOp> history = new ArrayList<>();
    for (Planned p : planned) {
      String current = state.get(p.key());
      String value = "c" + p.client() + "-" + p.seq();
      KvOp op;
      if (p.kindRoll() < 4) {
        op = KvOp.get(p.client(), p.key(), current, p.inv(), p.done());
      } else if (p.kindRoll() < 7 || current == null) {
        op = KvOp.put(p.client(), p.key(), value, p.inv(), p.done());
      } else {
        String expected =
            random.nextBoolean() || !previous.containsKey(p.key())
                ? current
                : previous.get(p.key());
        op =
            expected.equals(current)
                ? KvOp.cas(p.client(), p.key(), expected, value, p.inv(), p.done())
                : KvOp.casMismatch(
                    p.client(), p.key(), expected, value, current, p.inv(), p.done());
      }
      boolean writes = op.kind() != KvOp.Kind.GET && op.outcome() == KvOp.Outcome.OK;
      if (writes && random.nextDouble() < UNKNOWN_WRITE_SHARE) {
        boolean tookEffect = random.nextBoolean();
        op = op.unknown();
        writes = tookEffect;
      }
      if (writes) {
        if (current != null) {
          previous.put(p.key(), current);
        }
        state.put(p.key(), value);
      }
      history.add(op);
    }
    return history;
  }
}
