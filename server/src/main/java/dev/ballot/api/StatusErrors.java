package dev.ballot.api;

import dev.ballot.etcd.api.AlarmMember;
import dev.ballot.kv.Alarms;
import java.util.ArrayList;
import java.util.List;

/**
 * The errors of a Status answer, worded as etcd's (etcdserver/api/v3rpc/maintenance.go): "no
 * leader" when the node knows none, then each raised alarm as Go prints an AlarmMember, for example
 * {@code "memberID:9686845212206760991 alarm:NOSPACE "} (unsigned id, trailing space included).
 */
final class StatusErrors {
  private StatusErrors() {}

  static List<String> of(long leaderId, Alarms alarms) {
    List<String> errors = new ArrayList<>();
    if (leaderId == 0) {
      errors.add("etcdserver: no leader");
    }
    for (AlarmMember alarm : alarms.members()) {
      errors.add(text(alarm));
    }
    return errors;
  }

  /** Go's compact text form of an AlarmMember; zero fields are left out as Go does. */
  static String text(AlarmMember alarm) {
    StringBuilder text = new StringBuilder();
    if (alarm.getMemberID() != 0) {
      text.append("memberID:").append(Long.toUnsignedString(alarm.getMemberID())).append(' ');
    }
    if (alarm.getAlarmValue() != 0) {
      text.append("alarm:").append(alarm.getAlarm().name()).append(' ');
    }
    return text.toString();
  }
}
