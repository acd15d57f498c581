package dev.ballot.api;

import dev.ballot.etcd.api.AlarmMember;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.AlarmResponse;
import dev.ballot.etcd.api.AlarmType;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.proto.Command;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's {@code Maintenance.Alarm}: GET lists the raised alarms from this node's replicated state;
 * ACTIVATE and DEACTIVATE go through the Raft log like a write, so every node sees the same alarms.
 */
final class AlarmRequests {
  private static final Logger log = LoggerFactory.getLogger(AlarmRequests.class);

  private final KvStore kv;
  private final KvService writes;
  private final Headers headers;

  AlarmRequests(KvStore kv, KvService writes, Headers headers) {
    this.kv = kv;
    this.writes = writes;
    this.headers = headers;
  }

  void handle(AlarmRequest request, StreamObserver<AlarmResponse> response) {
    switch (request.getAction()) {
      case GET -> {
        response.onNext(answer(kv.alarms().ofType(request.getAlarm())));
        response.onCompleted();
      }
      case ACTIVATE, DEACTIVATE -> change(request, response);
      default ->
          response.onError(
              Status.INVALID_ARGUMENT
                  .withDescription("etcdserver: unknown alarm action")
                  .asRuntimeException());
    }
  }

  private void change(AlarmRequest request, StreamObserver<AlarmResponse> response) {
    if (request.getMemberID() == 0
        || (request.getAlarm() != AlarmType.NOSPACE && request.getAlarm() != AlarmType.CORRUPT)) {
      response.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "etcdserver: an alarm needs a member id and a type (NOSPACE, CORRUPT)")
              .asRuntimeException());
      return;
    }
    AlarmMember member =
        AlarmMember.newBuilder()
            .setMemberID(request.getMemberID())
            .setAlarm(request.getAlarm())
            .build();
    // As etcd: DEACTIVATE answers with the alarm only if it was raised.
    boolean listed =
        request.getAction() == AlarmRequest.AlarmAction.ACTIVATE
            || kv.alarms().contains(request.getMemberID(), request.getAlarm());
    log.info(
        "alarm {} member={} alarm={}",
        request.getAction() == AlarmRequest.AlarmAction.ACTIVATE ? "raised" : "disarmed",
        request.getMemberID(),
        request.getAlarm());
    writes.write(
        Command.newBuilder().setAlarm(request).build(),
        response,
        applied -> answer(listed ? List.of(member) : List.of()));
  }

  private AlarmResponse answer(List<AlarmMember> alarms) {
    return AlarmResponse.newBuilder()
        .setHeader(headers.header(kv.revision()))
        .addAllAlarms(alarms)
        .build();
  }
}
