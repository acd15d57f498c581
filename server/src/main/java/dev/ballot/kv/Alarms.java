package dev.ballot.kv;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.etcd.api.AlarmMember;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.AlarmResponse;
import dev.ballot.etcd.api.AlarmType;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.kv.proto.Command;
import dev.ballot.storage.StorageCorruptionException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The raised alarms, etcd's {@code (member id, alarm type)} pairs: replicated state, changed only
 * by applying an alarm command, stored in kv_meta (so they survive restarts and travel in
 * snapshots). Immutable; sorted by member, then type, so every node stores the same bytes.
 */
public record Alarms(List<AlarmMember> members) {
  private static final Comparator<AlarmMember> ORDER =
      Comparator.comparingLong(AlarmMember::getMemberID)
          .thenComparingInt(AlarmMember::getAlarmValue);

  // After ORDER, which the constructor uses.
  public static final Alarms NONE = new Alarms(List.of());

  public Alarms {
    members = members.stream().sorted(ORDER).distinct().toList();
  }

  public boolean contains(long memberId, AlarmType type) {
    return members.stream().anyMatch(m -> m.getMemberID() == memberId && m.getAlarm() == type);
  }

  /** Whether some member raised NOSPACE: writes that add data are refused (etcd's capped apply). */
  public boolean noSpace() {
    // Asked for every applied command: no stream, and nothing to look at in the usual case.
    for (AlarmMember m : members) {
      if (m.getAlarm() == AlarmType.NOSPACE) {
        return true;
      }
    }
    return false;
  }

  /** The alarms of {@code type}, or all of them for {@code NONE} (etcd's GET). */
  public List<AlarmMember> ofType(AlarmType type) {
    return type == AlarmType.NONE
        ? members
        : members.stream().filter(m -> m.getAlarm() == type).toList();
  }

  /** The alarms after {@code request} (ACTIVATE or DEACTIVATE) is applied. */
  Alarms after(AlarmRequest request) {
    AlarmMember member =
        AlarmMember.newBuilder()
            .setMemberID(request.getMemberID())
            .setAlarm(request.getAlarm())
            .build();
    List<AlarmMember> next = new ArrayList<>(members);
    switch (request.getAction()) {
      case ACTIVATE -> next.add(member);
      case DEACTIVATE -> next.remove(member);
      default -> {} // GET changes nothing; it is never proposed
    }
    return new Alarms(next);
  }

  byte[] encode() {
    return AlarmResponse.newBuilder().addAllAlarms(members).build().toByteArray();
  }

  static Alarms decode(byte[] value) {
    try {
      return new Alarms(AlarmResponse.parseFrom(value).getAlarmsList());
    } catch (InvalidProtocolBufferException e) {
      throw new StorageCorruptionException("kv_meta alarms are unreadable: " + e.getMessage(), e);
    }
  }

  /**
   * Whether {@code command} adds data, which the NOSPACE alarm refuses: a put, or a txn with a put
   * in either branch at any depth (etcd refuses a txn whose cost is not zero). Deletes free space.
   */
  public static boolean addsData(Command command) {
    return switch (command.getOpCase()) {
      case PUT, LEASE_GRANT -> true;
      case TXN -> addsData(command.getTxn());
      default -> false;
    };
  }

  private static boolean addsData(TxnRequest txn) {
    return addsData(txn.getSuccessList()) || addsData(txn.getFailureList());
  }

  private static boolean addsData(List<RequestOp> ops) {
    for (RequestOp op : ops) {
      if (op.hasRequestPut() || (op.hasRequestTxn() && addsData(op.getRequestTxn()))) {
        return true;
      }
    }
    return false;
  }
}
