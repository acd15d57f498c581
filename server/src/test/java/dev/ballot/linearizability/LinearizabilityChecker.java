package dev.ballot.linearizability;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Decides whether a history is linearizable against a {@link Model}: the search of Wing and Gong
 * (1993) as Lowe improved it ("Testing for linearizability", 2017), the one Knossos and Porcupine
 * use. Calls and completions are laid out in time order; the search walks them, linearizing an
 * operation at its call when the model allows, and backtracks when it meets the completion of an
 * operation it has not linearized. Each (set of linearized operations, state) pair is visited once,
 * which keeps histories of thousands of operations to seconds.
 *
 * <p>An operation whose outcome is unknown has no completion: it may be linearized anywhere after
 * its call, and the search succeeds once every completed operation is linearized, so it may also
 * never take effect.
 */
public final class LinearizabilityChecker {
  /** The bound on explored states unless told otherwise: past it the answer is UNDECIDED. */
  public static final long DEFAULT_MAX_STATES = 5_000_000;

  private static final int HEAD = -1;
  private static final int END = -2;
  private static final int EXCERPT_OPS = 6;

  private LinearizabilityChecker() {}

  public static <S, C> Verdict check(Model<S, C> model, List<Operation<C>> history) {
    return check(model, history, DEFAULT_MAX_STATES);
  }

  public static <S, C> Verdict check(
      Model<S, C> model, List<Operation<C>> history, long maxStates) {
    return new Search<>(model, history).run(maxStates);
  }

  /** One run of the search over one history. */
  private static final class Search<S, C> {
    private final Model<S, C> model;

    /** Sorted by invocation, so that the linearized set is mostly a prefix (see {@link Memo}). */
    private final List<Operation<C>> ops;

    private final int[] entryOp;
    private final boolean[] entryIsCall;
    private final int[] callEntry;
    private final int[] returnEntry;
    private final int[] next;
    private final int[] prev;
    private int first;

    private int bestDepth = -1;
    private int bestBlocked;
    private int[] bestPlaced = new int[0];
    private String bestState = "";
    private int[] bestCandidates = new int[0];

    Search(Model<S, C> model, List<Operation<C>> history) {
      this.model = model;
      this.ops = new ArrayList<>(history);
      ops.sort(Comparator.comparingLong(Operation::invokedAt));
      int n = ops.size();
      int entries = 0;
      for (Operation<C> op : ops) {
        entries += op.completed() ? 2 : 1;
      }
      long[] time = new long[entries];
      entryOp = new int[entries];
      entryIsCall = new boolean[entries];
      callEntry = new int[n];
      returnEntry = new int[n];
      Integer[] order = new Integer[entries];
      int e = 0;
      for (int i = 0; i < n; i++) {
        Operation<C> op = ops.get(i);
        time[e] = op.invokedAt();
        entryOp[e] = i;
        entryIsCall[e] = true;
        e++;
        if (op.completed()) {
          time[e] = op.completedAt();
          entryOp[e] = i;
          e++;
        }
      }
      for (int i = 0; i < entries; i++) {
        order[i] = i;
      }
      // At equal times calls come first: operations that touch are taken as concurrent.
      Arrays.sort(
          order,
          Comparator.<Integer>comparingLong(i -> time[i])
              .thenComparing(i -> entryIsCall[i] ? 0 : 1)
              .thenComparingInt(i -> entryOp[i]));
      next = new int[entries];
      prev = new int[entries];
      Arrays.fill(returnEntry, END);
      for (int k = 0; k < entries; k++) {
        int entry = order[k];
        prev[entry] = k == 0 ? HEAD : order[k - 1];
        next[entry] = k == entries - 1 ? END : order[k + 1];
        if (entryIsCall[entry]) {
          callEntry[entryOp[entry]] = entry;
        } else {
          returnEntry[entryOp[entry]] = entry;
        }
      }
      first = entries == 0 ? END : order[0];
    }

    Verdict run(long maxStates) {
      int n = ops.size();
      int requiredLeft = 0;
      for (Operation<C> op : ops) {
        requiredLeft += op.completed() ? 1 : 0;
      }
      S state = model.initial();
      BitSet linearized = new BitSet(n);
      Deque<Frame<S>> stack = new ArrayDeque<>();
      Set<Memo<S>> seen = new HashSet<>();
      int entry = first;
      while (requiredLeft > 0) {
        if (entry == END) {
          throw new IllegalStateException(
              "walked past every entry with " + requiredLeft + " completed ops not linearized");
        }
        int op = entryOp[entry];
        if (entryIsCall[entry]) {
          S after = model.step(state, ops.get(op).command());
          if (after != null) {
            linearized.set(op);
            if (seen.add(Memo.of(linearized, n, after))) {
              if (seen.size() > maxStates) {
                return new Verdict(
                    Verdict.Outcome.UNDECIDED,
                    "gave up after " + maxStates + " states of " + n + " ops",
                    seen.size());
              }
              stack.push(new Frame<>(entry, state));
              state = after;
              lift(entry);
              requiredLeft -= ops.get(op).completed() ? 1 : 0;
              entry = first;
              continue;
            }
            linearized.clear(op);
          }
          entry = next[entry];
        } else {
          // The op completing here was not linearized by then: undo the last choice.
          noteDeadEnd(stack, op, entry, state);
          if (stack.isEmpty()) {
            return new Verdict(Verdict.Outcome.NOT_LINEARIZABLE, explain(n), seen.size());
          }
          Frame<S> frame = stack.pop();
          int undone = entryOp[frame.callEntry()];
          state = frame.stateBefore();
          linearized.clear(undone);
          unlift(frame.callEntry());
          requiredLeft += ops.get(undone).completed() ? 1 : 0;
          entry = next[frame.callEntry()];
        }
      }
      return new Verdict(Verdict.Outcome.LINEARIZABLE, "", seen.size());
    }

    /** Removes an op's call and completion from the list: it is linearized. */
    private void lift(int call) {
      unlink(call);
      int ret = returnEntry[entryOp[call]];
      if (ret != END) {
        unlink(ret);
      }
    }

    /** Puts them back, in the reverse order of {@link #lift}. */
    private void unlift(int call) {
      int ret = returnEntry[entryOp[call]];
      if (ret != END) {
        relink(ret);
      }
      relink(call);
    }

    private void unlink(int entry) {
      int p = prev[entry];
      int nx = next[entry];
      if (p == HEAD) {
        first = nx;
      } else {
        next[p] = nx;
      }
      if (nx != END) {
        prev[nx] = p;
      }
    }

    private void relink(int entry) {
      int p = prev[entry];
      int nx = next[entry];
      if (p == HEAD) {
        first = entry;
      } else {
        next[p] = entry;
      }
      if (nx != END) {
        prev[nx] = entry;
      }
    }

    /** Remembers the deepest dead end: the ops placed last, the op that could not be placed. */
    private void noteDeadEnd(Deque<Frame<S>> stack, int blocked, int returnAt, S state) {
      if (stack.size() <= bestDepth) {
        return;
      }
      bestDepth = stack.size();
      bestBlocked = blocked;
      bestState = model.describe(state);
      int k = Math.min(EXCERPT_OPS, stack.size());
      bestPlaced = new int[k];
      Iterator<Frame<S>> top = stack.iterator();
      for (int i = k - 1; i >= 0; i--) {
        bestPlaced[i] = entryOp[top.next().callEntry()];
      }
      List<Integer> candidates = new ArrayList<>();
      for (int e = first; e != returnAt && candidates.size() < EXCERPT_OPS; e = next[e]) {
        if (entryIsCall[e] && entryOp[e] != blocked) {
          candidates.add(entryOp[e]);
        }
      }
      bestCandidates = candidates.stream().mapToInt(Integer::intValue).toArray();
    }

    private String explain(int n) {
      StringBuilder out = new StringBuilder();
      out.append("no order of the ")
          .append(n)
          .append(" ops is legal; the longest legal prefix places ")
          .append(bestDepth)
          .append(", then this op cannot take effect before it completes:\n    ")
          .append(ops.get(bestBlocked))
          .append("\n  last ops placed, oldest first (state after them: ")
          .append(bestState)
          .append("):");
      for (int op : bestPlaced) {
        out.append("\n    ").append(ops.get(op));
      }
      out.append("\n  ops invoked by then and not placed (none of them helps):");
      if (bestCandidates.length == 0) {
        out.append(" none");
      }
      for (int op : bestCandidates) {
        out.append("\n    ").append(ops.get(op));
      }
      return out.toString();
    }
  }

  /** An op linearized by the search, and the state before it, to undo it. */
  private record Frame<S>(int callEntry, S stateBefore) {}

  /**
   * A visited (linearized set, state) pair. The set is kept as the length of its all-linearized
   * prefix (ops in invocation order) plus the few linearized ops beyond it, so that a long history
   * costs memory for its concurrency window, not its length.
   */
  private static final class Memo<S> {
    private final int prefix;
    private final int[] beyond;
    private final S state;
    private final int hash;

    private Memo(int prefix, int[] beyond, S state) {
      this.prefix = prefix;
      this.beyond = beyond;
      this.state = state;
      this.hash = 31 * (31 * prefix + Arrays.hashCode(beyond)) + state.hashCode();
    }

    static <S> Memo<S> of(BitSet linearized, int n, S state) {
      int prefix = linearized.nextClearBit(0);
      int[] beyond = prefix >= n ? new int[0] : linearized.get(prefix, n).stream().toArray();
      return new Memo<>(prefix, beyond, state);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Memo<?> m
          && m.hash == hash
          && m.prefix == prefix
          && Arrays.equals(m.beyond, beyond)
          && m.state.equals(state);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
