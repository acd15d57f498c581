package dev.ballot.client;

import java.util.List;

/**
 * The outcome of a delete.
 *
 * @param deleted how many keys were deleted
 * @param prevKvs the deleted keys with their last values, when asked for with {@link
 *     DeleteOptions#withPrevKv()}; empty otherwise
 * @param revision the cluster revision after the delete
 */
public record DeleteResult(long deleted, List<KeyValue> prevKvs, long revision) {

  /**
   * Freezes the list.
   *
   * @param deleted see the record description
   * @param prevKvs see the record description
   * @param revision see the record description
   */
  public DeleteResult {
    prevKvs = List.copyOf(prevKvs);
  }
}
