package dev.ballot.linearizability;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a key-value history (gets, puts and compare-and-swaps, each on one key) for
 * linearizability. Linearizability is compositional (Herlihy and Wing 1990): a history is
 * linearizable when its restriction to each key is, so each key is checked on its own against a
 * {@link KvModel}.
 *
 * <p>Before the search, per key: definite failures are dropped (they did not take effect), and so
 * are unknown gets (they constrain nothing) and unknown writes whose value nobody observed. Written
 * values must be unique; then such a write can be removed from any linearization without making
 * another op illegal, because every op that depends on the value holds (gets, mismatches and
 * compare-and-swaps report the exact value they found or expected), so dropping it changes no
 * answer while sparing the search its choices.
 */
public final class KvChecker {
  private KvChecker() {}

  public static Verdict check(List<KvOp> history) {
    return check(history, LinearizabilityChecker.DEFAULT_MAX_STATES);
  }

  /** Checks every key; the verdict names each key that fails and the ops involved. */
  public static Verdict check(List<KvOp> history, long maxStatesPerKey) {
    Map<String, List<KvOp>> byKey = new TreeMap<>();
    for (KvOp op : history) {
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    List<String> failures = new ArrayList<>();
    Verdict.Outcome outcome = Verdict.Outcome.LINEARIZABLE;
    long states = 0;
    for (Map.Entry<String, List<KvOp>> key : byKey.entrySet()) {
      Verdict verdict = checkKey(key.getValue(), maxStatesPerKey);
      states += verdict.statesExplored();
      if (!verdict.linearizable()) {
        failures.add("key " + key.getKey() + ": " + verdict.explanation());
        if (outcome != Verdict.Outcome.NOT_LINEARIZABLE) {
          outcome = verdict.outcome();
        }
      }
    }
    return new Verdict(outcome, String.join("\n", failures), states);
  }

  private static Verdict checkKey(List<KvOp> ops, long maxStates) {
    Map<String, KvOp> writerOf = new HashMap<>();
    for (KvOp op : ops) {
      if (op.value() != null) {
        KvOp previous = writerOf.put(op.value(), op);
        if (previous != null) {
          throw new IllegalArgumentException(
              "value " + op.value() + " written twice, by " + previous + " and " + op);
        }
      }
    }
    String neverWritten = readOfValueNeverWritten(ops, writerOf);
    if (neverWritten != null) {
      return new Verdict(Verdict.Outcome.NOT_LINEARIZABLE, neverWritten, 0);
    }
    Set<String> needed = neededValues(ops, writerOf);
    boolean someoneFoundAbsent =
        ops.stream().anyMatch(op -> op.observes() && op.observed() == null);
    List<Operation<KvOp>> kept = new ArrayList<>();
    for (KvOp op : ops) {
      boolean keep =
          switch (op.outcome()) {
            case OK, MISMATCH -> true;
            case FAILED -> false;
            case UNKNOWN ->
                switch (op.kind()) {
                  case GET -> false;
                    // A delete that may have happened matters only if some op found the key absent.
                  case DELETE -> someoneFoundAbsent;
                  case PUT, CAS -> needed.contains(op.value());
                };
          };
      if (keep) {
        kept.add(new Operation<>(op, op.invokedAt(), op.completedAt()));
      }
    }
    return LinearizabilityChecker.check(new KvModel(), kept, maxStates);
  }

  /** A read of a value that no op wrote, or only one that definitely failed: a short report. */
  private static String readOfValueNeverWritten(List<KvOp> ops, Map<String, KvOp> writerOf) {
    for (KvOp op : ops) {
      String seen =
          op.observes() ? op.observed() : op.outcome() == KvOp.Outcome.OK ? op.expected() : null;
      if (seen == null) {
        continue;
      }
      KvOp writer = writerOf.get(seen);
      if (writer == null) {
        return "read a value no op wrote:\n    " + describe(op);
      }
      if (writer.outcome() == KvOp.Outcome.FAILED) {
        return "read a value written only by an op reported failed:\n    "
            + describe(op)
            + "\n    "
            + describe(writer);
      }
    }
    return null;
  }

  /**
   * Values some op depends on: read by a get or a mismatch, expected by a compare-and-swap that
   * swapped, and (closing over it) expected by an unknown compare-and-swap whose own value is
   * needed.
   */
  private static Set<String> neededValues(List<KvOp> ops, Map<String, KvOp> writerOf) {
    Set<String> needed = new HashSet<>();
    for (KvOp op : ops) {
      if (op.observes() && op.observed() != null) {
        needed.add(op.observed());
      } else if (op.kind() == KvOp.Kind.CAS && op.outcome() == KvOp.Outcome.OK) {
        needed.add(op.expected());
      }
    }
    List<String> frontier = new ArrayList<>(needed);
    while (!frontier.isEmpty()) {
      KvOp writer = writerOf.get(frontier.remove(frontier.size() - 1));
      if (writer != null
          && writer.kind() == KvOp.Kind.CAS
          && writer.outcome() == KvOp.Outcome.UNKNOWN
          && needed.add(writer.expected())) {
        frontier.add(writer.expected());
      }
    }
    return needed;
  }

  private static String describe(KvOp op) {
    return new Operation<>(op, op.invokedAt(), op.completedAt()).toString();
  }
}
