package dev.ballot.kv;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.LeaseGrantRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.kv.proto.Command;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks a request passes before it is proposed, so that a bad one writes nothing: etcd's
 * {@code v3rpc/key.go} checks, its request size limit, and Ballot's rejection of inverted ranges.
 *
 * <p>The limits are configuration and may differ between nodes, so they are checked only here;
 * {@link KvStore} repeats at apply time only the checks that depend on the request alone.
 */
public final class KvRequests {
  /** etcd's default {@code --max-txn-ops}: per branch (and for the compares) of a txn. */
  public static final int DEFAULT_MAX_TXN_OPS = 128;

  /** etcd's default {@code --max-request-bytes}: 1.5 MiB. */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 3 * 512 * 1024;

  /**
   * Ballot's bound on txn nesting: a txn holding a txn holding a txn is 3 levels deep. etcd bounds
   * nesting only through its ops rule; an explicit bound keeps every accepted command well within
   * what {@link CommandCodec} decodes at apply.
   */
  public static final int MAX_TXN_DEPTH = 32;

  /** Ballot's bound on the compares and ops of a txn, counted over every nested level together. */
  public static final int MAX_TXN_TOTAL_OPS = 1024;

  private final int maxTxnOps;
  private final int maxRequestBytes;

  public KvRequests(int maxTxnOps, int maxRequestBytes) {
    if (maxTxnOps < 1 || maxRequestBytes < 1) {
      throw new IllegalArgumentException(
          "limits must be positive: maxTxnOps="
              + maxTxnOps
              + " maxRequestBytes="
              + maxRequestBytes);
    }
    this.maxTxnOps = maxTxnOps;
    this.maxRequestBytes = maxRequestBytes;
  }

  public static KvRequests withEtcdDefaults() {
    return new KvRequests(DEFAULT_MAX_TXN_OPS, DEFAULT_MAX_REQUEST_BYTES);
  }

  public int maxTxnOps() {
    return maxTxnOps;
  }

  public int maxRequestBytes() {
    return maxRequestBytes;
  }

  /**
   * Everything a write must pass before it is proposed; its serialized size is that of the log
   * command (etcd measures its own internal request, a few bytes larger).
   */
  public void check(Command command) throws KvException {
    switch (command.getOpCase()) {
      case PUT -> checkPut(command.getPut());
      case DELETE_RANGE -> checkDeleteRange(command.getDeleteRange());
      case TXN -> checkTxn(command.getTxn());
      case LEASE_GRANT -> checkLeaseGrant(command.getLeaseGrant());
      case OP_NOT_SET -> throw new KvException(KvError.MALFORMED_REQUEST);
    }
    if (command.getSerializedSize() > maxRequestBytes) {
      throw new KvException(KvError.REQUEST_TOO_LARGE);
    }
  }

  /**
   * The bytes to propose for {@code command}, checked in exactly the form every node will decode at
   * apply time: serialized, decoded again by {@link CommandCodec}, then {@link #check}ed.
   */
  public byte[] logBytes(Command command) throws KvException {
    return checkLogBytes(command.toByteArray());
  }

  /**
   * Checks serialized command bytes (a follower's forwarded write, or {@link #logBytes}) the way
   * the leader's own writes are checked; returns them unchanged if they may be proposed.
   */
  public byte[] checkLogBytes(byte[] bytes) throws KvException {
    if (bytes.length > maxRequestBytes) {
      throw new KvException(KvError.REQUEST_TOO_LARGE);
    }
    check(CommandCodec.decode(bytes));
    return bytes;
  }

  /** A txn's checks: also for a read-only txn that is served without the log. */
  public void checkTxn(TxnRequest txn) throws KvException {
    checkTxnOps(txn, maxTxnOps, 1, new OpBudget(MAX_TXN_DEPTH, MAX_TXN_TOTAL_OPS));
    // After the size checks, which bound the work of this one.
    checkNoOverlappingWrites(txn.getSuccessList());
    checkNoOverlappingWrites(txn.getFailureList());
  }

  public static void checkRange(RangeRequest range) throws KvException {
    checkKeyRange(range.getKey(), range.getRangeEnd());
  }

  public static void checkPut(PutRequest put) throws KvException {
    checkKey(put.getKey());
    if (put.getIgnoreValue() && !put.getValue().isEmpty()) {
      throw new KvException(KvError.VALUE_PROVIDED);
    }
    if (put.getIgnoreLease() && put.getLease() != 0) {
      throw new KvException(KvError.LEASE_PROVIDED);
    }
  }

  /**
   * A grant as it is proposed: its id chosen (never 0) and its TTL raised to the minimum (see
   * {@link LeaseGrants}), at most etcd's maximum.
   */
  static void checkLeaseGrant(LeaseGrantRequest grant) throws KvException {
    if (grant.getTTL() > LeaseGrants.MAX_TTL_SECONDS) {
      throw new KvException(KvError.LEASE_TTL_TOO_LARGE);
    }
    if (grant.getID() == 0 || grant.getTTL() <= 0) {
      throw new KvException(KvError.MALFORMED_REQUEST);
    }
  }

  public static void checkDeleteRange(DeleteRangeRequest delete) throws KvException {
    checkKeyRange(delete.getKey(), delete.getRangeEnd());
  }

  /** Whether a txn has only range ops, in both branches and every nested txn. */
  public static boolean isReadOnly(TxnRequest txn) {
    return txn.getSuccessList().stream().allMatch(KvRequests::isReadOnly)
        && txn.getFailureList().stream().allMatch(KvRequests::isReadOnly);
  }

  private static boolean isReadOnly(RequestOp op) {
    return op.hasRequestRange() || (op.hasRequestTxn() && isReadOnly(op.getRequestTxn()));
  }

  /** The checks that depend on the command alone, not on configured limits: safe at apply time. */
  static void checkShape(Command command) throws KvException {
    switch (command.getOpCase()) {
      case PUT -> checkPut(command.getPut());
      case DELETE_RANGE -> checkDeleteRange(command.getDeleteRange());
      case TXN ->
          checkTxnOps(
              command.getTxn(),
              Integer.MAX_VALUE,
              1,
              new OpBudget(Integer.MAX_VALUE, Integer.MAX_VALUE));
      case LEASE_GRANT -> checkLeaseGrant(command.getLeaseGrant());
      case OP_NOT_SET -> throw new KvException(KvError.MALFORMED_REQUEST);
    }
  }

  /** How deep a txn may nest and how many compares and ops it may hold in all, as a walk counts. */
  private static final class OpBudget {
    private final int maxDepth;
    private long opsLeft;

    OpBudget(int maxDepth, long maxOps) {
      this.maxDepth = maxDepth;
      this.opsLeft = maxOps;
    }

    void enter(int depth, int ops) throws KvException {
      if (depth > maxDepth) {
        throw new KvException(KvError.TXN_TOO_DEEP);
      }
      opsLeft -= ops;
      if (opsLeft < 0) {
        throw new KvException(KvError.TOO_MANY_OPS);
      }
    }
  }

  /**
   * etcd's rule: the compares and each branch may hold {@code maxOps} each; a nested txn gets what
   * this level left, {@code maxOps} minus the largest of the three.
   */
  private static void checkTxnOps(TxnRequest txn, int maxOps, int depth, OpBudget budget)
      throws KvException {
    int ops =
        Math.max(txn.getCompareCount(), Math.max(txn.getSuccessCount(), txn.getFailureCount()));
    if (ops > maxOps) {
      throw new KvException(KvError.TOO_MANY_OPS);
    }
    budget.enter(depth, txn.getCompareCount() + txn.getSuccessCount() + txn.getFailureCount());
    for (Compare compare : txn.getCompareList()) {
      checkKeyRange(compare.getKey(), compare.getRangeEnd());
    }
    for (RequestOp op : txn.getSuccessList()) {
      checkOp(op, maxOps - ops, depth, budget);
    }
    for (RequestOp op : txn.getFailureList()) {
      checkOp(op, maxOps - ops, depth, budget);
    }
  }

  private static void checkOp(RequestOp op, int maxOps, int depth, OpBudget budget)
      throws KvException {
    switch (op.getRequestCase()) {
      case REQUEST_RANGE -> checkRange(op.getRequestRange());
      case REQUEST_PUT -> checkPut(op.getRequestPut());
      case REQUEST_DELETE_RANGE -> checkDeleteRange(op.getRequestDeleteRange());
      case REQUEST_TXN -> checkTxnOps(op.getRequestTxn(), maxOps, depth + 1, budget);
        // etcd's answer to an empty op.
      case REQUEST_NOT_SET -> throw new KvException(KvError.KEY_NOT_FOUND);
    }
  }

  private static void checkKey(ByteString key) throws KvException {
    if (key.isEmpty()) {
      throw new KvException(KvError.EMPTY_KEY);
    }
  }

  // Deviation from etcd, which answers an inverted range as empty: see KvError.INVERTED_RANGE.
  private static void checkKeyRange(ByteString key, ByteString rangeEnd) throws KvException {
    checkKey(key);
    if (KeyRanges.isInverted(key, rangeEnd)) {
      throw new KvException(KvError.INVERTED_RANGE);
    }
  }

  private record Writes(Set<ByteString> puts, KeyIntervals deletes) {}

  /**
   * etcd's {@code checkIntervals}: within the ops that run together, no key may be put twice or be
   * both put and deleted, nested txns included; deletes may overlap, and the two branches of a
   * nested txn may put the same key since only one runs. One difference: etcd misses a put inside a
   * from-key delete ({@code range_end "\0"}); Ballot rejects it too.
   */
  private static Writes checkNoOverlappingWrites(List<RequestOp> ops) throws KvException {
    KeyIntervals deletes = new KeyIntervals();
    for (RequestOp op : ops) {
      if (op.hasRequestDeleteRange()) {
        DeleteRangeRequest delete = op.getRequestDeleteRange();
        deletes.addRange(delete.getKey(), delete.getRangeEnd());
      }
    }
    // Membership tests only: the order of these sets never reaches data.
    Set<ByteString> puts = new HashSet<>();
    for (RequestOp op : ops) {
      if (!op.hasRequestTxn()) {
        continue;
      }
      Writes then = checkNoOverlappingWrites(op.getRequestTxn().getSuccessList());
      Writes otherwise = checkNoOverlappingWrites(op.getRequestTxn().getFailureList());
      for (ByteString key : then.puts()) {
        if (puts.contains(key) || deletes.contains(key)) {
          throw new KvException(KvError.DUPLICATE_KEY);
        }
        puts.add(key);
      }
      for (ByteString key : otherwise.puts()) {
        boolean putByAnotherOp = puts.contains(key) && !then.puts().contains(key);
        if (putByAnotherOp || deletes.contains(key)) {
          throw new KvException(KvError.DUPLICATE_KEY);
        }
        puts.add(key);
      }
      deletes.addAll(then.deletes());
      deletes.addAll(otherwise.deletes());
    }
    for (RequestOp op : ops) {
      if (!op.hasRequestPut()) {
        continue;
      }
      ByteString key = op.getRequestPut().getKey();
      if (puts.contains(key) || deletes.contains(key)) {
        throw new KvException(KvError.DUPLICATE_KEY);
      }
      puts.add(key);
    }
    return new Writes(puts, deletes);
  }
}
