package dev.ballot.client;

import dev.ballot.etcd.api.RequestOp;

/**
 * One operation inside a transaction: a put, a delete or a read. Immutable.
 *
 * <pre>{@code
 * client.txn()
 *     .ifVersion("/lock", CompareOp.EQUAL, 0)
 *     .then(Op.put("/lock", "me"), Op.get("/config"))
 *     .otherwise(Op.get("/lock"))
 *     .commit();
 * }</pre>
 */
public final class Op {
  private final RequestOp request;

  private Op(RequestOp request) {
    this.request = request;
  }

  /**
   * A put of {@code value} under {@code key}.
   *
   * @param key the key
   * @param value the value
   * @return the operation
   */
  public static Op put(byte[] key, byte[] value) {
    return put(key, value, PutOptions.DEFAULT);
  }

  /**
   * A put of {@code value} under {@code key}, both UTF-8.
   *
   * @param key the key
   * @param value the value
   * @return the operation
   */
  public static Op put(String key, String value) {
    return put(Bytes.utf8(key), Bytes.utf8(value));
  }

  /**
   * A put with options.
   *
   * @param key the key
   * @param value the value
   * @param options prev-kv and lease
   * @return the operation
   */
  public static Op put(byte[] key, byte[] value, PutOptions options) {
    return new Op(RequestOp.newBuilder().setRequestPut(Protos.put(key, value, options)).build());
  }

  /**
   * A put with options, key and value UTF-8.
   *
   * @param key the key
   * @param value the value
   * @param options prev-kv and lease
   * @return the operation
   */
  public static Op put(String key, String value, PutOptions options) {
    return put(Bytes.utf8(key), Bytes.utf8(value), options);
  }

  /**
   * A delete of one key.
   *
   * @param key the key
   * @return the operation
   */
  public static Op delete(byte[] key) {
    return delete(key, DeleteOptions.DEFAULT);
  }

  /**
   * A delete of one key (UTF-8).
   *
   * @param key the key
   * @return the operation
   */
  public static Op delete(String key) {
    return delete(Bytes.utf8(key));
  }

  /**
   * A delete with options (a whole prefix, with previous values).
   *
   * @param key the key or prefix
   * @param options prefix and prev-kv
   * @return the operation
   */
  public static Op delete(byte[] key, DeleteOptions options) {
    return new Op(
        RequestOp.newBuilder().setRequestDeleteRange(Protos.delete(key, options)).build());
  }

  /**
   * A delete with options, key UTF-8.
   *
   * @param key the key or prefix
   * @param options prefix and prev-kv
   * @return the operation
   */
  public static Op delete(String key, DeleteOptions options) {
    return delete(Bytes.utf8(key), options);
  }

  /**
   * A linearizable read of one key.
   *
   * @param key the key
   * @return the operation
   */
  public static Op get(byte[] key) {
    return range(RangeOptions.builder(key).build());
  }

  /**
   * A linearizable read of one key (UTF-8).
   *
   * @param key the key
   * @return the operation
   */
  public static Op get(String key) {
    return get(Bytes.utf8(key));
  }

  /**
   * A read of a key range.
   *
   * @param options what to read
   * @return the operation
   */
  public static Op range(RangeOptions options) {
    return new Op(RequestOp.newBuilder().setRequestRange(options.toRequest()).build());
  }

  boolean isWrite() {
    return !request.hasRequestRange();
  }

  RequestOp toRequest() {
    return request;
  }

  /** Shows the wire form of the operation. */
  @Override
  public String toString() {
    return "Op[" + request.toString().replace('\n', ' ').trim() + "]";
  }
}
