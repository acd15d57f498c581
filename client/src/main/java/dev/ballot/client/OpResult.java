package dev.ballot.client;

/**
 * The result of one {@link Op} of a committed transaction, in the order of the branch that ran.
 *
 * <pre>{@code
 * if (result instanceof OpResult.Range range) {
 *   List<KeyValue> kvs = range.result().kvs();
 * }
 * }</pre>
 */
public sealed interface OpResult permits OpResult.Range, OpResult.Put, OpResult.Delete {

  /**
   * The result of a read ({@link Op#get}, {@link Op#range}).
   *
   * @param result what was read
   */
  record Range(RangeResult result) implements OpResult {}

  /**
   * The result of a put ({@link Op#put}).
   *
   * @param result the put's outcome
   */
  record Put(PutResult result) implements OpResult {}

  /**
   * The result of a delete ({@link Op#delete}).
   *
   * @param result the delete's outcome
   */
  record Delete(DeleteResult result) implements OpResult {}
}
