package dev.ballot.client;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.TxnRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A transaction being built: guards on keys, the operations to run when all guards hold ({@link
 * #then}) and those to run otherwise ({@link #otherwise}). The whole transaction is applied
 * atomically at one revision. Build it on one thread, then {@link #commit()} it once.
 *
 * <pre>{@code
 * TxnResult result = client.txn()
 *     .ifModRevision("/config", CompareOp.EQUAL, 42)
 *     .then(Op.put("/config", "v2"))
 *     .otherwise(Op.get("/config"))
 *     .commit()
 *     .get();
 * }</pre>
 *
 * <p>A guard on a value of a key that does not exist never holds; a guard on the version, create or
 * mod revision of a missing key compares against 0.
 */
public final class Txn {
  private final BallotClient client;
  private final List<Compare> guards = new ArrayList<>();
  private final List<Op> thenOps = new ArrayList<>();
  private final List<Op> otherwiseOps = new ArrayList<>();
  private boolean committed;

  Txn(BallotClient client) {
    this.client = client;
  }

  /**
   * Guards on the key's value.
   *
   * @param key the key
   * @param op how to compare
   * @param value the operand
   * @return this transaction
   */
  public Txn ifValue(byte[] key, CompareOp op, byte[] value) {
    return add(guard(key, op, Compare.CompareTarget.VALUE).setValue(ByteString.copyFrom(value)));
  }

  /**
   * Guards on the key's value (UTF-8).
   *
   * @param key the key
   * @param op how to compare
   * @param value the operand
   * @return this transaction
   */
  public Txn ifValue(String key, CompareOp op, String value) {
    return ifValue(Bytes.utf8(key), op, Bytes.utf8(value));
  }

  /**
   * Guards on the revision of the key's last write (0 when the key does not exist).
   *
   * @param key the key
   * @param op how to compare
   * @param modRevision the operand
   * @return this transaction
   */
  public Txn ifModRevision(byte[] key, CompareOp op, long modRevision) {
    return add(guard(key, op, Compare.CompareTarget.MOD).setModRevision(modRevision));
  }

  /**
   * Guards on the revision of the key's last write (UTF-8 key).
   *
   * @param key the key
   * @param op how to compare
   * @param modRevision the operand
   * @return this transaction
   */
  public Txn ifModRevision(String key, CompareOp op, long modRevision) {
    return ifModRevision(Bytes.utf8(key), op, modRevision);
  }

  /**
   * Guards on the key's version: writes since its creation, 0 when it does not exist.
   *
   * @param key the key
   * @param op how to compare
   * @param version the operand
   * @return this transaction
   */
  public Txn ifVersion(byte[] key, CompareOp op, long version) {
    return add(guard(key, op, Compare.CompareTarget.VERSION).setVersion(version));
  }

  /**
   * Guards on the key's version (UTF-8 key).
   *
   * @param key the key
   * @param op how to compare
   * @param version the operand
   * @return this transaction
   */
  public Txn ifVersion(String key, CompareOp op, long version) {
    return ifVersion(Bytes.utf8(key), op, version);
  }

  /**
   * Guards on the revision that created the key (0 when it does not exist).
   *
   * @param key the key
   * @param op how to compare
   * @param createRevision the operand
   * @return this transaction
   */
  public Txn ifCreateRevision(byte[] key, CompareOp op, long createRevision) {
    return add(guard(key, op, Compare.CompareTarget.CREATE).setCreateRevision(createRevision));
  }

  /**
   * Guards on the revision that created the key (UTF-8 key).
   *
   * @param key the key
   * @param op how to compare
   * @param createRevision the operand
   * @return this transaction
   */
  public Txn ifCreateRevision(String key, CompareOp op, long createRevision) {
    return ifCreateRevision(Bytes.utf8(key), op, createRevision);
  }

  /**
   * Adds operations to run when every guard holds.
   *
   * @param ops the operations, in order
   * @return this transaction
   */
  public Txn then(Op... ops) {
    thenOps.addAll(List.of(ops));
    return this;
  }

  /**
   * Adds operations to run when some guard does not hold.
   *
   * @param ops the operations, in order
   * @return this transaction
   */
  public Txn otherwise(Op... ops) {
    otherwiseOps.addAll(List.of(ops));
    return this;
  }

  /**
   * Sends the transaction. A transaction with a put or delete in either branch is a write and
   * follows the write retry rules (see {@link BallotClient}); one with reads only is retried like a
   * read.
   *
   * @return the result, or an exception as described in {@link BallotClient}
   * @throws IllegalStateException when called twice
   */
  public CompletableFuture<TxnResult> commit() {
    if (committed) {
      throw new IllegalStateException("transaction already committed");
    }
    committed = true;
    return client.commit(toRequest(), hasWrites() ? CallKind.WRITE : CallKind.READ);
  }

  TxnRequest toRequest() {
    TxnRequest.Builder request = TxnRequest.newBuilder().addAllCompare(guards);
    thenOps.forEach(op -> request.addSuccess(op.toRequest()));
    otherwiseOps.forEach(op -> request.addFailure(op.toRequest()));
    return request.build();
  }

  boolean hasWrites() {
    return thenOps.stream().anyMatch(Op::isWrite) || otherwiseOps.stream().anyMatch(Op::isWrite);
  }

  private static Compare.Builder guard(byte[] key, CompareOp op, Compare.CompareTarget target) {
    return Compare.newBuilder()
        .setKey(ByteString.copyFrom(key))
        .setResult(op.wire())
        .setTarget(target);
  }

  private Txn add(Compare.Builder guard) {
    guards.add(guard.build());
    return this;
  }
}
