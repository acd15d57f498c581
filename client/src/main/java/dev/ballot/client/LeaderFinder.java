package dev.ballot.client;

import dev.ballot.client.EndpointPool.Endpoint;
import dev.ballot.etcd.api.ClusterGrpc;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.Member;
import dev.ballot.etcd.api.MemberListRequest;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import io.grpc.Deadline;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Finds the leader's client endpoint for requests that etcd serves only on the leader
 * (Maintenance.MoveLeader). Like etcdctl, it asks every configured endpoint for its Status, and the
 * first that names itself leader wins. When none of them leads, the leader id they report (in the
 * highest term) is looked up in the member list and its first client URL is used.
 */
final class LeaderFinder {
  /** The leader's member id and an endpoint that reaches it. */
  record Leader(long memberId, Endpoint endpoint) {}

  private final EndpointPool pool;
  private final RequestRunner runner;
  private final Deadline deadline;
  private final CompletableFuture<Leader> result = new CompletableFuture<>();

  /** Per configured endpoint: its answer or its failure, written before {@link #pending} drops. */
  private final StatusResponse[] answers;

  private final Throwable[] failures;
  private final AtomicInteger pending;

  private LeaderFinder(EndpointPool pool, RequestRunner runner, Deadline deadline) {
    this.pool = pool;
    this.runner = runner;
    this.deadline = deadline;
    this.answers = new StatusResponse[pool.size()];
    this.failures = new Throwable[pool.size()];
    this.pending = new AtomicInteger(pool.size());
  }

  /**
   * Starts looking; every request made counts against {@code deadline}.
   *
   * @return the leader, or an {@link UnavailableException} when no endpoint knows one
   */
  static CompletableFuture<Leader> find(
      EndpointPool pool, RequestRunner runner, Deadline deadline) {
    LeaderFinder finder = new LeaderFinder(pool, runner, deadline);
    for (int i = 0; i < pool.size(); i++) {
      finder.ask(i);
    }
    return finder.result;
  }

  private void ask(int index) {
    Endpoint endpoint = pool.get(index);
    runner
        .callOnce(
            endpoint,
            MaintenanceGrpc.getStatusMethod(),
            StatusRequest.getDefaultInstance(),
            CallKind.READ,
            deadline)
        .whenComplete(
            (status, failure) -> {
              if (status != null) {
                answers[index] = status;
                long leaderId = status.getLeader();
                if (leaderId != 0 && leaderId == status.getHeader().getMemberId()) {
                  result.complete(new Leader(leaderId, endpoint));
                }
              } else {
                failures[index] = failure;
              }
              if (pending.decrementAndGet() == 0 && !result.isDone()) {
                lookUpReportedLeader();
              }
            });
  }

  /** No endpoint leads: find the leader they name in the member list. */
  private void lookUpReportedLeader() {
    long leaderId = 0;
    long leaderTerm = -1;
    for (StatusResponse answer : answers) {
      if (answer != null && answer.getLeader() != 0 && answer.getRaftTerm() > leaderTerm) {
        leaderId = answer.getLeader();
        leaderTerm = answer.getRaftTerm();
      }
    }
    if (leaderId == 0) {
      result.completeExceptionally(noLeader());
      return;
    }
    long id = leaderId;
    runner
        .call(
            ClusterGrpc.getMemberListMethod(),
            MemberListRequest.getDefaultInstance(),
            CallKind.READ,
            deadline)
        .whenComplete(
            (members, failure) -> {
              if (failure != null) {
                result.completeExceptionally(failure);
                return;
              }
              for (Member member : members.getMembersList()) {
                if (member.getID() == id && member.getClientURLsCount() > 0) {
                  try {
                    result.complete(new Leader(id, pool.lookup(member.getClientURLs(0))));
                  } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                  }
                  return;
                }
              }
              result.completeExceptionally(
                  new UnavailableException(
                      "the leader "
                          + Long.toHexString(id)
                          + " has no client URL in the member list",
                      null,
                      null,
                      null));
            });
  }

  private UnavailableException noLeader() {
    boolean anyAnswer = Arrays.stream(answers).anyMatch(answer -> answer != null);
    StringBuilder message =
        new StringBuilder(
            anyAnswer ? "no leader known to any endpoint: " : "no endpoint answered: ");
    String separator = "";
    for (int i = 0; i < answers.length; i++) {
      message.append(separator).append(pool.get(i).address()).append(": ");
      if (answers[i] != null) {
        message.append("no leader");
      } else {
        Throwable cause = failures[i].getCause();
        message.append(FailureClassifier.describe(cause != null ? cause : failures[i]));
      }
      separator = "; ";
    }
    return new UnavailableException(
        message.toString(),
        anyAnswer ? FailureClassifier.NO_LEADER : null,
        pool.get(0).address(),
        null);
  }
}
