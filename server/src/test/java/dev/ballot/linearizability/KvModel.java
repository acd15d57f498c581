package dev.ballot.linearizability;

import java.util.Objects;
import java.util.Optional;

/**
 * One key of a key-value store: its value, empty when absent. A put writes, a delete empties; a
 * compare-and-swap writes only when the key exists with the expected value (etcd: comparing the
 * value of an absent key is false), and otherwise is a read of what it found; a get reads.
 */
public final class KvModel implements Model<Optional<String>, KvOp> {

  @Override
  public Optional<String> initial() {
    return Optional.empty();
  }

  @Override
  public Optional<String> step(Optional<String> state, KvOp op) {
    return switch (op.kind()) {
      case GET -> Objects.equals(state.orElse(null), op.observed()) ? state : null;
      case PUT -> Optional.of(op.value());
      case DELETE -> Optional.empty();
      case CAS -> {
        boolean matches = state.isPresent() && state.get().equals(op.expected());
        if (op.outcome() == KvOp.Outcome.MISMATCH) {
          yield !matches && Objects.equals(state.orElse(null), op.observed()) ? state : null;
        }
        // OK, or UNKNOWN taking effect: it swapped.
        yield matches ? Optional.of(op.value()) : null;
      }
    };
  }

  @Override
  public String describe(Optional<String> state) {
    return state.orElse("(absent)");
  }
}
