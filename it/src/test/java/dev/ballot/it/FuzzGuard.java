package dev.ballot.it;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.MemberAddRequest;
import dev.ballot.etcd.api.MemberRemoveRequest;
import dev.ballot.etcd.api.MemberUpdateRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.TxnRequest;
import java.util.Set;

/**
 * Keeps fuzzed requests from doing what would make the checks meaningless rather than find a bug:
 * writing under {@link AckedPuts#PREFIX}, removing or moving a member, raising an alarm, or (on
 * etcd) adding a member. It reads a body as the server will (the same generated parser); a body
 * that does not parse is sent, since the server cannot act on it either.
 */
final class FuzzGuard {
  private final Set<Long> memberIds;
  private final boolean serverRefusesMemberAdd;

  /**
   * @param serverRefusesMemberAdd true for Ballot (members join by registration); etcd would add
   *     every fuzzed member, and enough absent voters cost the quorum
   */
  FuzzGuard(Set<Long> memberIds, boolean serverRefusesMemberAdd) {
    this.memberIds = Set.copyOf(memberIds);
    this.serverRefusesMemberAdd = serverRefusesMemberAdd;
  }

  /** Why {@code body} must not be sent to {@code method}, or null if it may be. */
  String refusal(RawCalls.Method method, byte[] body) {
    Message request;
    try {
      request = method.parser().parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
    if (request instanceof PutRequest put && isAcked(put.getKey())) {
      return "puts an acknowledged-write key";
    }
    if (request instanceof DeleteRangeRequest delete && deletesAcked(delete)) {
      return "deletes acknowledged-write keys";
    }
    if (request instanceof TxnRequest txn && writesAcked(txn)) {
      return "txn writes acknowledged-write keys";
    }
    if (request instanceof MemberRemoveRequest remove && memberIds.contains(remove.getID())) {
      return "removes member " + remove.getID();
    }
    if (request instanceof MemberUpdateRequest update && memberIds.contains(update.getID())) {
      return "moves member " + update.getID() + "'s peer address";
    }
    if (request instanceof MemberAddRequest && !serverRefusesMemberAdd) {
      return "adds a member";
    }
    if (request instanceof AlarmRequest alarm
        && alarm.getAction() == AlarmRequest.AlarmAction.ACTIVATE) {
      return "raises an alarm";
    }
    return null;
  }

  private static boolean writesAcked(TxnRequest txn) {
    for (RequestOp op : txn.getSuccessList()) {
      if (writesAcked(op)) {
        return true;
      }
    }
    for (RequestOp op : txn.getFailureList()) {
      if (writesAcked(op)) {
        return true;
      }
    }
    return false;
  }

  private static boolean writesAcked(RequestOp op) {
    return switch (op.getRequestCase()) {
      case REQUEST_PUT -> isAcked(op.getRequestPut().getKey());
      case REQUEST_DELETE_RANGE -> deletesAcked(op.getRequestDeleteRange());
      case REQUEST_TXN -> writesAcked(op.getRequestTxn());
      case REQUEST_RANGE, REQUEST_NOT_SET -> false;
    };
  }

  private static boolean isAcked(ByteString key) {
    return key.startsWith(AckedPuts.PREFIX);
  }

  /**
   * Whether {@code [key, range_end)} may meet the prefix, by etcd's conventions: no end is the key
   * alone, "\0" every key from the key on. Inverted ranges count as what they would cover if read
   * the other way round (the server refuses them, but a guard need not rely on that).
   */
  private static boolean deletesAcked(DeleteRangeRequest delete) {
    ByteString key = delete.getKey();
    ByteString end = delete.getRangeEnd();
    if (end.isEmpty()) {
      return isAcked(key);
    }
    ByteString low = key;
    ByteString high = end;
    boolean open = end.equals(ByteString.copyFrom(new byte[] {0}));
    if (!open && ByteString.unsignedLexicographicalComparator().compare(end, key) < 0) {
      low = end;
      high = key.concat(ByteString.copyFrom(new byte[] {0}));
    }
    var order = ByteString.unsignedLexicographicalComparator();
    boolean startsBeforePrefixEnd = order.compare(low, AckedPuts.PREFIX_END) < 0;
    boolean endsAfterPrefix = open || order.compare(high, AckedPuts.PREFIX) > 0;
    return startsBeforePrefixEnd && endsAfterPrefix;
  }
}
