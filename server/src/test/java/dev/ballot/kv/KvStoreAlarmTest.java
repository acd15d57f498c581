package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.etcd.api.AlarmMember;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.AlarmType;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.kv.proto.Command;
import org.junit.jupiter.api.Test;

/**
 * Alarms are replicated state: applied from the log, kept across restarts, and while NOSPACE is
 * raised every node refuses, at apply, the writes that add data (etcd's capped applier).
 */
class KvStoreAlarmTest extends KvStoreFixture {
  private static Command alarm(AlarmRequest.AlarmAction action, long member) {
    return Command.newBuilder()
        .setAlarm(
            AlarmRequest.newBuilder()
                .setAction(action)
                .setMemberID(member)
                .setAlarm(AlarmType.NOSPACE))
        .build();
  }

  @Test
  void raisedAlarmIsListedKeptAcrossRestartAndDisarmed() {
    assertThat(store.alarms().members()).isEmpty();
    long revision = store.revision();

    apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 2));
    apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 2)); // raised twice: listed once
    assertThat(store.revision()).as("alarms are not key writes").isEqualTo(revision);

    reopen();
    assertThat(store.alarms().members())
        .containsExactly(
            AlarmMember.newBuilder().setMemberID(2).setAlarm(AlarmType.NOSPACE).build());
    assertThat(store.alarms().noSpace()).isTrue();

    apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, 2));
    assertThat(store.alarms().members()).isEmpty();
    reopen();
    assertThat(store.alarms().members()).isEmpty();
  }

  @Test
  void noSpaceRefusesPutsAndTxnsWithPutsButNotDeletesOrReads() {
    put("a", "1");
    apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, 1));
    long revision = store.revision();

    assertThat(applyRejected(command(putRequest("b", "2")))).isEqualTo(KvError.NO_SPACE);
    TxnRequest.Builder nestedPut =
        TxnRequest.newBuilder()
            .addFailure(op(TxnRequest.newBuilder().addSuccess(op(putRequest("c", "3")))));
    assertThat(applyRejected(command(nestedPut))).isEqualTo(KvError.NO_SPACE);
    assertThat(store.revision()).isEqualTo(revision);

    applyOk(command(TxnRequest.newBuilder().addSuccess(op(rangeRequest("a")))));
    applyOk(command(deleteRequest("a")));
    assertThat(store.revision()).isEqualTo(revision + 1);

    apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, 1));
    put("b", "2");
  }
}
