package dev.ballot.client;

import java.util.List;

/**
 * The outcome of a transaction.
 *
 * @param succeeded whether every guard held, so that the {@code then} branch ran (otherwise the
 *     {@code otherwise} branch ran)
 * @param responses one result per operation of the branch that ran, in order
 * @param revision the cluster revision after the transaction
 */
public record TxnResult(boolean succeeded, List<OpResult> responses, long revision) {

  /**
   * Freezes the list.
   *
   * @param succeeded see the record description
   * @param responses see the record description
   * @param revision see the record description
   */
  public TxnResult {
    responses = List.copyOf(responses);
  }
}
