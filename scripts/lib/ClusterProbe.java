// Waits until every endpoint answers Maintenance.Status with a leader; run as a single-file
// program on kvserver's class path:  java -cp server/target/kvserver.jar ClusterProbe.java ...
// Used by start-cluster.sh so that waiting for a cluster needs nothing but Java.

import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

public final class ClusterProbe {
  private static final long POLL_INTERVAL_MS = 250;
  private static final long STATUS_DEADLINE_MS = 2_000;

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 2) {
      System.err.println("usage: ClusterProbe TIMEOUT_SECONDS HOST:PORT[,HOST:PORT...]");
      System.exit(2);
    }
    long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[0]));
    List<ManagedChannel> channels = new ArrayList<>();
    Map<String, String> state = new LinkedHashMap<>();
    for (String endpoint : args[1].split(",")) {
      String hostPort = endpoint.replaceFirst("^https?://", "");
      channels.add(ManagedChannelBuilder.forTarget(hostPort).usePlaintext().build());
      state.put(hostPort, "no answer yet");
    }
    List<String> endpoints = new ArrayList<>(state.keySet());
    try {
      while (true) {
        boolean allReady = true;
        for (int i = 0; i < endpoints.size(); i++) {
          String verdict = probe(channels.get(i));
          state.put(endpoints.get(i), verdict);
          allReady &= verdict.startsWith("leader ");
        }
        if (allReady) {
          state.forEach((endpoint, verdict) -> System.out.println(endpoint + " " + verdict));
          return;
        }
        if (System.nanoTime() > deadlineNanos) {
          System.err.println("not ready after " + args[0] + " s:");
          state.forEach((endpoint, verdict) -> System.err.println("  " + endpoint + " " + verdict));
          System.exit(1);
        }
        Thread.sleep(POLL_INTERVAL_MS);
      }
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  private static String probe(ManagedChannel channel) {
    try {
      StatusResponse status =
          MaintenanceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(STATUS_DEADLINE_MS, TimeUnit.MILLISECONDS)
              .status(StatusRequest.getDefaultInstance());
      if (status.getLeader() == 0) {
        return "answers, no leader yet";
      }
      return "leader "
          + Long.toUnsignedString(status.getLeader())
          + (status.getLeader() == status.getHeader().getMemberId() ? " (itself)" : "")
          + " term "
          + status.getRaftTerm();
    } catch (RuntimeException e) {
      return "not answering: " + e.getMessage();
    }
  }
}
