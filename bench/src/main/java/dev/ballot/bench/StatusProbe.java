package dev.ballot.bench;

import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Asks every endpoint for Maintenance.Status, to learn which one leads. */
public final class StatusProbe {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(3);

  private StatusProbe() {}

  /**
   * Every endpoint's status, in the order given, once every endpoint answered and agrees on one
   * leader; polls until {@code patience} has passed.
   *
   * @throws IllegalStateException with the last answers or errors if that did not happen in time
   */
  public static List<EndpointStatus> awaitLeader(List<String> endpoints, Duration patience)
      throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    String last;
    while (true) {
      List<EndpointStatus> statuses = new ArrayList<>();
      StringBuilder problems = new StringBuilder();
      for (String endpoint : endpoints) {
        ManagedChannel channel = Channels.open(endpoint);
        try {
          StatusResponse response =
              MaintenanceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                  .status(StatusRequest.getDefaultInstance());
          statuses.add(
              new EndpointStatus(
                  endpoint, response.getHeader().getMemberId(), response.getLeader()));
        } catch (StatusRuntimeException e) {
          problems.append(endpoint).append(": ").append(describe(e.getStatus())).append("; ");
        } finally {
          Channels.close(List.of(channel));
        }
      }
      long leaders = statuses.stream().filter(EndpointStatus::leads).count();
      boolean agree = statuses.stream().map(EndpointStatus::leaderId).distinct().count() == 1;
      if (problems.isEmpty() && leaders == 1 && agree) {
        return statuses;
      }
      last = problems.isEmpty() ? "no single agreed leader: " + statuses : problems.toString();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cluster not ready within " + patience + ": " + last);
      }
      TimeUnit.MILLISECONDS.sleep(
          200); // polling a cluster that is still electing; no event to await
    }
  }

  /** The status code and description, and the cause's message (e.g. "Connection refused"). */
  static String describe(io.grpc.Status status) {
    StringBuilder text = new StringBuilder(status.getCode().name());
    if (status.getDescription() != null) {
      text.append(": ").append(status.getDescription());
    }
    if (status.getCause() != null && status.getCause().getMessage() != null) {
      text.append(" (").append(status.getCause().getMessage()).append(')');
    }
    return text.toString();
  }
}
