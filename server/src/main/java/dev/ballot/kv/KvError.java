package dev.ballot.kv;

import io.grpc.Status;

/**
 * The errors the key-value API can answer, each with etcd's gRPC status code and message (etcd's
 * {@code api/v3rpc/rpctypes/error.go}), so etcd clients recognise them.
 */
public enum KvError {
  EMPTY_KEY(Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided"),
  KEY_NOT_FOUND(Status.Code.INVALID_ARGUMENT, "etcdserver: key not found"),
  VALUE_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: value is provided"),
  LEASE_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: lease is provided"),
  TOO_MANY_OPS(Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request"),
  DUPLICATE_KEY(Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request"),
  REQUEST_TOO_LARGE(Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large"),
  COMPACTED(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted"),
  FUTURE_REVISION(
      Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision"),
  LEASE_NOT_FOUND(Status.Code.NOT_FOUND, "etcdserver: requested lease not found"),
  LEASE_EXISTS(Status.Code.FAILED_PRECONDITION, "etcdserver: lease already exists"),
  LEASE_TTL_TOO_LARGE(Status.Code.OUT_OF_RANGE, "etcdserver: too large lease TTL"),
  /** The NOSPACE alarm is raised: writes that add data are refused until it is disarmed. */
  NO_SPACE(Status.Code.RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded"),
  /**
   * Ballot's own: etcd answers a range whose end is not after its key as empty, which hides a
   * client's mistake; Ballot rejects it.
   */
  INVERTED_RANGE(Status.Code.INVALID_ARGUMENT, "etcdserver: range end must be greater than key"),
  /**
   * Ballot's own: a txn nested deeper than {@link KvRequests#MAX_TXN_DEPTH} levels (etcd bounds
   * nesting only through its ops limit).
   */
  TXN_TOO_DEEP(Status.Code.INVALID_ARGUMENT, "etcdserver: txn request is nested too deeply"),
  /**
   * Ballot's own: a request that reads or deletes more than {@link
   * ResponseBytes#MAX_RESPONSE_BYTES} of keys and values at once (etcd would build the response
   * whatever its size).
   */
  RESPONSE_TOO_LARGE(
      Status.Code.RESOURCE_EXHAUSTED,
      "etcdserver: request touches more than 32 MiB of keys and values; split it (ranges: use a"
          + " limit)"),
  /**
   * Ballot's own: a delete inside a txn, or one with {@code prev_kv}, that removes more than {@link
   * KvTxn#MAX_DELETE_BYTES} of keys and values (etcd would remove any amount; so does a plain range
   * delete here, in parts).
   */
  DELETE_TOO_LARGE(
      Status.Code.RESOURCE_EXHAUSTED,
      "etcdserver: delete removes more than 128 MiB of keys and values; delete the range in parts"),
  /**
   * Ballot's own: a write that would attach more than {@link KvTxn#MAX_LEASE_BYTES} of keys and
   * values to one lease (etcd attaches any amount). A lease's revoke or expiry deletes all its keys
   * in one command, held in memory until written, so it is bounded as a delete is.
   */
  LEASE_TOO_LARGE(
      Status.Code.RESOURCE_EXHAUSTED,
      "etcdserver: lease would hold more than 128 MiB of keys and values; spread the keys over"
          + " several leases"),
  /** Ballot's own: a write that is not a well-formed command; nothing was written. */
  MALFORMED_REQUEST(Status.Code.INVALID_ARGUMENT, "etcdserver: malformed request"),
  /**
   * Ballot's own: applying a committed command failed in a way the checks before proposing should
   * have prevented (a bug, logged by every node). The entry counts as applied and wrote nothing, on
   * every node alike.
   */
  APPLY_FAILED(
      Status.Code.INTERNAL, "etcdserver: request could not be applied (see the server log)");

  private final Status.Code code;
  private final String message;

  KvError(Status.Code code, String message) {
    this.code = code;
    this.message = message;
  }

  public Status.Code code() {
    return code;
  }

  public String message() {
    return message;
  }

  /** The status to answer a gRPC call with. */
  public Status toStatus() {
    return Status.fromCode(code).withDescription(message);
  }
}
