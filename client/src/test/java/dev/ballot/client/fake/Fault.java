package dev.ballot.client.fake;

import io.grpc.Status;

/** What a {@link FakeEtcdServer} does with one request instead of serving it. */
public sealed interface Fault {

  /** Answers with this status; nothing is applied. */
  record Fail(Status status) implements Fault {}

  /** Never answers: the client's deadline passes. Nothing is applied. */
  record Hang() implements Fault {}

  /** Receives the request, then drops every connection and stops; nothing is applied. */
  record DropConnection() implements Fault {}

  /** Etcd's "no leader" answer, sent before a request is proposed. */
  static Fault noLeader() {
    return new Fail(Status.UNAVAILABLE.withDescription("etcdserver: no leader"));
  }
}
