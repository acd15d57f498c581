package dev.ballot.client;

import dev.ballot.client.EndpointPool.Endpoint;
import dev.ballot.etcd.api.WatchCancelRequest;
import dev.ballot.etcd.api.WatchGrpc;
import dev.ballot.etcd.api.WatchRequest;
import dev.ballot.etcd.api.WatchResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The watches of one client, multiplexed over one bidirectional {@code Watch} stream to one
 * endpoint, and created again on a new stream whenever one breaks (see {@link Watch} for the
 * guarantee).
 *
 * <p>Everything runs on one thread of its own: gRPC's callbacks, the user's calls and the timers
 * only hand tasks to it, so the state needs no lock and listeners are called in order. The stream
 * asks for one response at a time and the next only once the listener has taken the last, so a slow
 * listener slows the server's sending instead of filling memory.
 *
 * <p>Watches are created one at a time: etcd answers creates in order, and assigning ids from the
 * client ({@code watch_id}) is not served by every server.
 */
final class WatchStream {
  /** etcd's metadata asking the server to end the stream when its node has no leader. */
  private static final Metadata.Key<String> HAS_LEADER =
      Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

  private static final long RECONNECT_FIRST_DELAY_MS = RequestRunner.FIRST_RETRY_DELAY_MS;
  private static final long RECONNECT_MAX_DELAY_MS = RequestRunner.MAX_RETRY_DELAY_MS;

  private final EndpointPool pool;
  private final Duration requestTimeout;

  /** How long a create may wait for its answer before the stream is given up as silent. */
  private final long createAnswerTimeoutMs;

  private final ScheduledThreadPoolExecutor thread;

  // Confined to `thread` from here on.
  private final Map<Long, WatchState> active = new LinkedHashMap<>();
  private final Map<Long, WatchState> byServerId = new HashMap<>();
  private final ArrayDeque<WatchState> toCreate = new ArrayDeque<>();
  private final Map<String, String> recentFailures = new LinkedHashMap<>();
  private WatchState creating;
  private Stream stream;
  private long nextClientId = 1;
  private int triedThisRound;
  private long reconnectDelayMs = RECONNECT_FIRST_DELAY_MS;
  private boolean closed;

  WatchStream(EndpointPool pool, Duration requestTimeout) {
    this.pool = pool;
    this.requestTimeout = requestTimeout;
    this.createAnswerTimeoutMs = requestTimeout.toMillis();
    this.thread =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread t = new Thread(task, "ballot-client-watch");
              t.setDaemon(true);
              return t;
            });
    this.thread.setRemoveOnCancelPolicy(true);
    this.thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** Starts a watch; its listener hears from it on this stream's thread. */
  Watch watch(WatchOptions options, WatchListener listener) {
    if (options == null || listener == null) {
      throw new NullPointerException("options and listener are required");
    }
    WatchState[] state = new WatchState[1];
    Watch handle = new Watch(options, () -> run(() -> cancel(state[0])));
    Runnable start =
        () -> {
          state[0] = new WatchState(nextClientId++, handle, listener);
          if (closed) {
            end(state[0], closedException(), false);
            return;
          }
          active.put(state[0].clientId, state[0]);
          toCreate.add(state[0]);
          schedule(() -> createDeadlinePassed(state[0]), requestTimeout.toMillis());
          if (stream == null) {
            openStream(pool.preferredIndex());
          } else {
            sendNextCreate();
          }
        };
    try {
      thread.execute(start);
    } catch (RejectedExecutionException e) {
      handle.createdFuture().completeExceptionally(closedException());
    }
    return handle;
  }

  /** Cancels every watch without telling the listeners, and stops the thread. */
  void close() {
    try {
      thread.execute(
          () -> {
            closed = true;
            for (WatchState state : List.copyOf(active.values())) {
              state.ended = true;
              state.handle.createdFuture().completeExceptionally(closedException());
            }
            active.clear();
            toCreate.clear();
            closeStream("client closed");
          });
    } catch (RejectedExecutionException alreadyClosed) {
      return;
    }
    thread.shutdown();
    try {
      thread.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void cancel(WatchState state) {
    if (state == null || state.ended) {
      return;
    }
    state.ended = true;
    forget(state);
  }

  /** Drops a watch that ended; tells the server, and closes the stream when it was the last. */
  private void forget(WatchState state) {
    active.remove(state.clientId);
    toCreate.remove(state);
    if (state.serverId != WatchState.NO_SERVER_ID && byServerId.remove(state.serverId) != null) {
      send(
          WatchRequest.newBuilder()
              .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(state.serverId))
              .build());
    }
    if (active.isEmpty()) {
      closeStream("no watches left");
    }
  }

  private void openStream(int index) {
    Endpoint endpoint = pool.get(index);
    Stream opened = new Stream(index, endpoint);
    stream = opened;
    Metadata headers = new Metadata();
    headers.put(HAS_LEADER, "true");
    Channel channel =
        ClientInterceptors.intercept(
            endpoint.channel(), MetadataUtils.newAttachHeadersInterceptor(headers));
    try {
      ClientCall<WatchRequest, WatchResponse> call =
          channel.newCall(WatchGrpc.getWatchMethod(), CallOptions.DEFAULT);
      ClientCalls.asyncBidiStreamingCall(call, opened);
    } catch (RuntimeException e) {
      streamFailed(opened, e);
      return;
    }
    sendNextCreate();
  }

  private void closeStream(String why) {
    Stream current = stream;
    stream = null;
    creating = null;
    byServerId.clear();
    if (current != null && current.requests != null) {
      current.requests.cancel(why, null);
    }
  }

  /** Sends the next create, once the one before was answered. */
  private void sendNextCreate() {
    if (stream == null || creating != null) {
      return;
    }
    while (!toCreate.isEmpty()) {
      WatchState next = toCreate.poll();
      if (next.ended) {
        continue;
      }
      creating = next;
      Stream current = stream;
      send(WatchRequest.newBuilder().setCreateRequest(next.createRequest()).build());
      schedule(() -> createUnanswered(current, next), createAnswerTimeoutMs);
      return;
    }
  }

  private void send(WatchRequest request) {
    if (stream != null && stream.requests != null) {
      stream.requests.onNext(request);
    }
  }

  private void onResponse(Stream from, WatchResponse response) {
    if (from != stream) {
      return;
    }
    try {
      handle(from, response);
    } catch (RuntimeException e) {
      // A response this client cannot follow (a bug here or there): start over on a new stream.
      streamFailed(from, Status.INTERNAL.withDescription(e.toString()).withCause(e).asException());
    }
    if (from == stream) {
      from.requests.request(1);
    }
  }

  private void handle(Stream from, WatchResponse response) {
    WatchState state;
    if (response.getCreated()) {
      state = creating;
      creating = null;
      if (state == null) {
        streamFailed(
            from,
            Status.INTERNAL
                .withDescription("watch created without a create pending")
                .asException());
        return;
      }
      if (response.getCanceled()) {
        cancelledByServer(from, state, response);
        sendNextCreate();
        return;
      }
      state.serverId = response.getWatchId();
      if (state.ended) {
        send(
            WatchRequest.newBuilder()
                .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(state.serverId))
                .build());
      } else {
        byServerId.put(state.serverId, state);
        if (state.onCreated(response.getHeader().getRevision())) {
          state.handle.createdFuture().complete(response.getHeader().getRevision());
        }
      }
      pool.markWorking(from.index);
      triedThisRound = 0;
      reconnectDelayMs = RECONNECT_FIRST_DELAY_MS;
      recentFailures.clear();
      sendNextCreate();
      if (state.ended || (response.getEventsCount() == 0 && response.getCompactRevision() == 0)) {
        return;
      }
    } else {
      state = byServerId.get(response.getWatchId());
      if (state == null) {
        return; // a watch already cancelled here, or a notice for the whole stream
      }
    }
    if (response.getCompactRevision() != 0) {
      long requested = state.nextRevision();
      state.ended = true;
      dropServerSide(state);
      forget(state);
      deliver(state, l -> l.onCompacted(response.getCompactRevision(), requested));
    } else if (response.getCanceled()) {
      cancelledByServer(from, state, response);
    } else if (response.getEventsCount() > 0) {
      List<WatchEvent> fresh = state.fresh(response.getEventsList());
      if (!fresh.isEmpty()) {
        WatchBatch batch = new WatchBatch(fresh, response.getHeader().getRevision());
        deliver(state, l -> l.onEvents(batch));
      }
    } else {
      long revision = response.getHeader().getRevision();
      state.onProgress(revision);
      deliver(state, l -> l.onProgress(revision));
    }
  }

  /**
   * The server cancelled one watch. A node without a leader cannot serve it: every watch moves to
   * another endpoint. Any other reason ends the watch.
   */
  private void cancelledByServer(Stream from, WatchState state, WatchResponse response) {
    String reason = response.getCancelReason();
    dropServerSide(state);
    if (FailureClassifier.NEVER_APPLIED.contains(reason)) {
      streamFailed(from, Status.UNAVAILABLE.withDescription(reason).asException());
      return;
    }
    String message =
        reason.isEmpty()
            ? "the server cancelled the watch"
            : "the server cancelled the watch: " + reason;
    end(
        state,
        new BallotException(
            message,
            Status.Code.UNKNOWN,
            reason.isEmpty() ? null : reason,
            from.endpoint.address(),
            null),
        true);
  }

  /** The server already ended this watch on its side: nothing to cancel there. */
  private void dropServerSide(WatchState state) {
    if (state.serverId != WatchState.NO_SERVER_ID) {
      byServerId.remove(state.serverId);
      state.serverId = WatchState.NO_SERVER_ID;
    }
  }

  /**
   * The stream ended or was given up. Watches resume on the next endpoint, unless the failure is a
   * definite refusal that another attempt would meet again.
   */
  private void streamFailed(Stream failed, Throwable failure) {
    if (failed != stream) {
      return;
    }
    closeStream("stream given up");
    recentFailures.put(failed.endpoint.address(), FailureClassifier.describe(failure));
    Status status = Status.fromThrowable(failure);
    if (!mayResume(status)) {
      BallotException error = FailureClassifier.definiteFailure(failure, failed.endpoint.address());
      for (WatchState state : List.copyOf(active.values())) {
        end(state, error, true);
      }
      return;
    }
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      pool.markSilent(failed.index);
    } else {
      pool.markFailed(failed.index);
    }
    List<WatchState> again = new ArrayList<>(active.values());
    again.sort(Comparator.comparingLong(s -> s.clientId));
    toCreate.clear();
    for (WatchState state : again) {
      state.serverId = WatchState.NO_SERVER_ID;
      toCreate.add(state);
    }
    if (!toCreate.isEmpty()) {
      reconnectAfter(failed.index);
    }
  }

  /** Whether a stream that failed this way is worth opening again. */
  static boolean mayResume(Status status) {
    String message = status.getDescription();
    if (message != null && FailureClassifier.NEVER_APPLIED.contains(message)) {
      return true;
    }
    switch (status.getCode()) {
      case UNAVAILABLE:
      case CANCELLED:
      case UNKNOWN:
      case INTERNAL:
      case ABORTED:
      case DEADLINE_EXCEEDED:
        return true;
      default:
        return false;
    }
  }

  /** The next endpoint at once; after a whole round, a pause that doubles up to a bound. */
  private void reconnectAfter(int failedIndex) {
    int next = pool.nextAfter(failedIndex);
    triedThisRound++;
    if (triedThisRound < pool.size()) {
      openStream(next);
      return;
    }
    triedThisRound = 0;
    long delayMs = reconnectDelayMs;
    reconnectDelayMs = Math.min(RECONNECT_MAX_DELAY_MS, reconnectDelayMs * 2);
    pool.resetConnectBackoff();
    schedule(
        () -> {
          if (stream == null && !toCreate.isEmpty() && !closed) {
            openStream(next);
          }
        },
        delayMs);
  }

  /** A create was not answered in time: the node is frozen or cut off; try the next one. */
  private void createUnanswered(Stream sentOn, WatchState state) {
    if (sentOn == stream && creating == state) {
      streamFailed(
          sentOn,
          Status.DEADLINE_EXCEEDED
              .withDescription("watch create not answered within " + createAnswerTimeoutMs + "ms")
              .asException());
    }
  }

  /** A watch never created within the request timeout ends: the cluster is out of reach. */
  private void createDeadlinePassed(WatchState state) {
    if (state.everCreated || state.ended) {
      return;
    }
    StringBuilder message =
        new StringBuilder("no endpoint could create the watch within ")
            .append(RequestRunner.format(requestTimeout));
    String separator = ": ";
    for (Map.Entry<String, String> failure : recentFailures.entrySet()) {
      message.append(separator).append(failure.getKey()).append(": ").append(failure.getValue());
      separator = "; ";
    }
    end(state, new UnavailableException(message.toString(), null, null, null), true);
  }

  /** Ends a watch with an error and tells its listener. */
  private void end(WatchState state, BallotException error, boolean tell) {
    state.ended = true;
    forget(state);
    state.handle.createdFuture().completeExceptionally(error);
    if (tell) {
      deliver(state, l -> l.onError(error));
    }
  }

  /** Calls the listener unless the watch was closed; a listener that throws ends its watch. */
  private void deliver(WatchState state, Consumer<WatchListener> call) {
    if (state.handle.isClosed()) {
      return;
    }
    try {
      call.accept(state.listener);
    } catch (RuntimeException | Error e) {
      if (state.ended) {
        Thread.currentThread()
            .getUncaughtExceptionHandler()
            .uncaughtException(Thread.currentThread(), e);
        return;
      }
      end(
          state,
          new BallotException("the watch listener threw: " + e, Status.Code.UNKNOWN, null, null, e),
          true);
    }
  }

  private void run(Runnable task) {
    try {
      thread.execute(task);
    } catch (RejectedExecutionException e) {
      // The client is closed: its watches are gone.
    }
  }

  private void schedule(Runnable task, long delayMs) {
    try {
      thread.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // The client is closed.
    }
  }

  private static BallotException closedException() {
    return new BallotException("the client is closed", Status.Code.CANCELLED, null, null, null);
  }

  /** One stream to one endpoint; its callbacks become tasks on the watch thread. */
  private final class Stream implements ClientResponseObserver<WatchRequest, WatchResponse> {
    final int index;
    final Endpoint endpoint;
    ClientCallStreamObserver<WatchRequest> requests;

    Stream(int index, Endpoint endpoint) {
      this.index = index;
      this.endpoint = endpoint;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.requests = requestStream;
      requestStream.disableAutoRequestWithInitial(1);
    }

    @Override
    public void onNext(WatchResponse response) {
      run(() -> onResponse(this, response));
    }

    @Override
    public void onError(Throwable failure) {
      run(() -> streamFailed(this, failure));
    }

    @Override
    public void onCompleted() {
      run(
          () ->
              streamFailed(
                  this,
                  Status.UNAVAILABLE
                      .withDescription("the server ended the watch stream")
                      .asException()));
    }
  }
}
