package dev.ballot.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.etcd.api.AlarmMember;
import dev.ballot.etcd.api.AlarmType;
import dev.ballot.kv.Alarms;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusErrorsTest {
  private static AlarmMember alarm(long memberId, AlarmType type) {
    return AlarmMember.newBuilder().setMemberID(memberId).setAlarm(type).build();
  }

  @Test
  void noErrorsWithALeaderAndNoAlarm() {
    assertThat(StatusErrors.of(1, Alarms.NONE)).isEmpty();
  }

  @Test
  void noLeaderComesFirstThenEachAlarmAsGoPrintsIt() {
    Alarms alarms =
        new Alarms(
            List.of(alarm(-8759898861502790625L, AlarmType.NOSPACE), alarm(2, AlarmType.CORRUPT)));

    List<String> errors = StatusErrors.of(0, alarms);

    assertThat(errors).first().isEqualTo("etcdserver: no leader");
    assertThat(errors.subList(1, errors.size()))
        .containsExactlyInAnyOrder(
            "memberID:2 alarm:CORRUPT ", "memberID:9686845212206760991 alarm:NOSPACE ");
  }
}
