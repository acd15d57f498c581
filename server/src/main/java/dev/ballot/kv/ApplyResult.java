package dev.ballot.kv;

import dev.ballot.etcd.api.ResponseOp;

/**
 * What applying one committed entry gave: the etcd response ({@code response_put}, {@code
 * response_delete_range} or {@code response_txn}, its {@code header.revision} set) or, if the
 * command was rejected at apply time, the error. Either way the entry counts as applied.
 *
 * @param index the log index applied
 * @param revision the store revision after the apply
 */
public record ApplyResult(long index, long revision, ResponseOp response, KvException error) {
  public ApplyResult {
    if ((response == null) == (error == null)) {
      throw new IllegalArgumentException(
          "exactly one of response and error must be set: response="
              + response
              + " error="
              + error);
    }
  }

  static ApplyResult ok(long index, long revision, ResponseOp response) {
    return new ApplyResult(index, revision, response, null);
  }

  static ApplyResult rejected(long index, long revision, KvException error) {
    return new ApplyResult(index, revision, null, error);
  }

  public boolean isOk() {
    return error == null;
  }
}
