package dev.ballot.client;

import java.util.List;

/**
 * The outcome of a range read.
 *
 * @param kvs the key-values found, in key order; empty for a count-only read
 * @param count how many keys the range holds, regardless of the limit
 * @param more whether the limit cut the result short
 * @param revision the cluster revision the read observed
 */
public record RangeResult(List<KeyValue> kvs, long count, boolean more, long revision) {

  /**
   * Freezes the list.
   *
   * @param kvs see the record description
   * @param count see the record description
   * @param more see the record description
   * @param revision see the record description
   */
  public RangeResult {
    kvs = List.copyOf(kvs);
  }
}
