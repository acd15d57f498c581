package dev.ballot.client;

import dev.ballot.client.EndpointPool.Endpoint;
import dev.ballot.client.FailureClassifier.Verdict;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends unary requests with one deadline per request, failing over between endpoints and retrying
 * as {@link FailureClassifier} allows. Nothing here blocks: attempts start from the caller's
 * thread, from gRPC's callback threads, or from the retry scheduler.
 *
 * <p>A request is handed to an endpoint's channel only once the channel is connected (or has
 * failed, when gRPC fails the call at once without sending it). A channel still connecting after
 * {@link #MAX_CONNECT_WAIT_MS} (a frozen process accepts TCP connections but never answers the
 * HTTP/2 handshake) is avoided and the request, provably not sent, moves to the next endpoint.
 */
final class RequestRunner {
  static final long FIRST_RETRY_DELAY_MS = 25;
  static final long MAX_RETRY_DELAY_MS = 500;

  /** How long a request waits for a channel that is still connecting before trying the next. */
  static final long MAX_CONNECT_WAIT_MS = 300;

  /** The least time left for which a retry is still started. */
  private static final long MIN_ATTEMPT_MS = 200;

  private final EndpointPool pool;
  private final ScheduledExecutorService retryScheduler;
  private final Duration requestTimeout;
  private final long connectWaitMs;
  private volatile boolean closed;

  RequestRunner(
      EndpointPool pool,
      ScheduledExecutorService retryScheduler,
      Duration requestTimeout,
      Duration connectTimeout) {
    this.pool = pool;
    this.retryScheduler = retryScheduler;
    this.requestTimeout = requestTimeout;
    this.connectWaitMs = Math.max(1, Math.min(MAX_CONNECT_WAIT_MS, connectTimeout.toMillis()));
  }

  /** The deadline of a request starting now: one request timeout away. */
  Deadline newDeadline() {
    return Deadline.after(requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Sends the request to the preferred endpoint, failing over to the others while safe. */
  <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, CallKind kind) {
    return call(method, request, kind, newDeadline());
  }

  /** As {@link #call(MethodDescriptor, Object, CallKind)}, within a deadline already running. */
  <Q, R> CompletableFuture<R> call(
      MethodDescriptor<Q, R> method, Q request, CallKind kind, Deadline deadline) {
    Attempts<Q, R> attempts = new Attempts<>(method, request, kind, null, deadline);
    attempts.start(pool.preferredIndex());
    return attempts.future;
  }

  /** Sends a read to one endpoint, once. */
  <Q, R> CompletableFuture<R> callOnce(
      Endpoint endpoint, MethodDescriptor<Q, R> method, Q request) {
    return callOnce(endpoint, method, request, CallKind.READ, newDeadline());
  }

  /**
   * Sends the request to one endpoint, once, within {@code deadline}; {@code kind} decides whether
   * a failure ends "unavailable" (nothing done) or "outcome unknown".
   */
  <Q, R> CompletableFuture<R> callOnce(
      Endpoint endpoint,
      MethodDescriptor<Q, R> method,
      Q request,
      CallKind kind,
      Deadline deadline) {
    Attempts<Q, R> attempts = new Attempts<>(method, request, kind, endpoint, deadline);
    attempts.start(0);
    return attempts.future;
  }

  /** Fails requests that would start another attempt from now on. */
  void close() {
    closed = true;
  }

  /** The attempts of one request; one is in flight at a time. */
  private final class Attempts<Q, R> {
    final CompletableFuture<R> future = new CompletableFuture<>();
    private final MethodDescriptor<Q, R> method;
    private final Q request;
    private final CallKind kind;
    private final Endpoint fixedEndpoint;
    private final Deadline deadline;

    /** Last failure per endpoint, for the message when the request gives up. */
    private final Map<String, String> failures = new LinkedHashMap<>();

    private int triedThisRound;
    private long retryDelayMs = FIRST_RETRY_DELAY_MS;

    Attempts(
        MethodDescriptor<Q, R> method,
        Q request,
        CallKind kind,
        Endpoint fixedEndpoint,
        Deadline deadline) {
      this.method = method;
      this.request = request;
      this.kind = kind;
      this.fixedEndpoint = fixedEndpoint;
      this.deadline = deadline;
    }

    synchronized void start(int index) {
      if (closed) {
        future.completeExceptionally(closedException());
        return;
      }
      Endpoint endpoint = fixedEndpoint != null ? fixedEndpoint : pool.get(index);
      if (fixedEndpoint == null) {
        ConnectivityState state = pool.connect(endpoint);
        if (state == ConnectivityState.IDLE || state == ConnectivityState.CONNECTING) {
          awaitConnection(index, endpoint, state);
          return;
        }
      }
      send(index, endpoint);
    }

    /**
     * Sends once the channel settles (connected, or failed so that gRPC fails the call at once), or
     * gives up on the endpoint after {@link #connectWaitMs}. An endpoint already avoided gets no
     * wait: waiting there is what avoiding it spares.
     */
    private void awaitConnection(int index, Endpoint endpoint, ConnectivityState state) {
      long waitMs = Math.min(connectWaitMs, deadline.timeRemaining(TimeUnit.MILLISECONDS));
      if (waitMs <= 0 || pool.isAvoided(index)) {
        notConnected(index, endpoint, 0);
        return;
      }
      AtomicBoolean decided = new AtomicBoolean();
      ScheduledFuture<?> giveUp;
      try {
        giveUp =
            retryScheduler.schedule(
                () -> {
                  if (decided.compareAndSet(false, true)) {
                    notConnected(index, endpoint, waitMs);
                  }
                },
                waitMs,
                TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        future.completeExceptionally(closedException());
        return;
      }
      whenSettled(
          endpoint.channel(),
          state,
          () -> {
            if (decided.compareAndSet(false, true)) {
              giveUp.cancel(false);
              send(index, endpoint);
            }
          });
    }

    /** The endpoint did not connect in time; the request was not sent. */
    private synchronized void notConnected(int index, Endpoint endpoint, long waitedMs) {
      String why = "not connected" + (waitedMs > 0 ? " within " + waitedMs + "ms" : " yet");
      Throwable failure = Status.UNAVAILABLE.withDescription(why).asRuntimeException();
      failures.put(endpoint.address(), why);
      pool.markSilent(index);
      if (deadline.isExpired()) {
        future.completeExceptionally(unavailable(endpoint, failure));
      } else {
        retry(index, endpoint, failure);
      }
    }

    private synchronized void send(int index, Endpoint endpoint) {
      if (closed) {
        future.completeExceptionally(closedException());
        return;
      }
      SendTracker tracker = new SendTracker();
      CallOptions options =
          CallOptions.DEFAULT.withDeadline(deadline).withStreamTracerFactory(tracker);
      try {
        ClientCall<Q, R> call = endpoint.channel().newCall(method, options);
        ClientCalls.asyncUnaryCall(call, request, new Observer(index, endpoint, tracker));
      } catch (RuntimeException e) {
        onFailure(index, endpoint, e, tracker.maybeSent());
      }
    }

    synchronized void onFailure(int index, Endpoint endpoint, Throwable failure, boolean sent) {
      Verdict verdict = FailureClassifier.classify(kind, failure, sent);
      failures.put(
          endpoint.address(),
          verdict == Verdict.UNREACHABLE
              ? "not connected within " + format(requestTimeout)
              : FailureClassifier.describe(failure));
      if (verdict != Verdict.FAILED && fixedEndpoint == null) {
        // Unreachable, refusing or silent: later requests start at the next endpoint. One that
        // let the deadline pass is avoided for a while, so it does not hold the next request too.
        if (Status.fromThrowable(failure).getCode() == Status.Code.DEADLINE_EXCEEDED) {
          pool.markSilent(index);
        } else {
          pool.markFailed(index);
        }
      }
      switch (verdict) {
        case RETRY:
          if (fixedEndpoint != null) {
            future.completeExceptionally(unavailable(endpoint, failure));
          } else {
            retry(index, endpoint, failure);
          }
          break;
        case UNREACHABLE:
          future.completeExceptionally(unavailable(endpoint, failure));
          break;
        case READ_TIMED_OUT:
          future.completeExceptionally(
              new RequestTimeoutException(
                  "no answer from " + endpoint.address() + " within " + format(requestTimeout),
                  endpoint.address(),
                  failure));
          break;
        case OUTCOME_UNKNOWN:
          future.completeExceptionally(outcomeUnknown(endpoint, failure));
          break;
        case FAILED:
          future.completeExceptionally(
              FailureClassifier.definiteFailure(failure, endpoint.address()));
          break;
        default:
          throw new IllegalStateException("unhandled verdict " + verdict);
      }
    }

    /** Next endpoint at once; after a full round, wait a little (doubling) before the next. */
    private void retry(int failedIndex, Endpoint endpoint, Throwable failure) {
      int next = pool.nextAfter(failedIndex);
      triedThisRound++;
      if (triedThisRound < pool.size()) {
        start(next);
        return;
      }
      triedThisRound = 0;
      long delayMs = retryDelayMs;
      retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, retryDelayMs * 2);
      // An attempt started too close to the deadline would likely end in "outcome unknown";
      // stopping here answers "unavailable", which tells the caller nothing was written.
      long minAttemptMs = Math.min(MIN_ATTEMPT_MS, requestTimeout.toMillis() / 5);
      if (deadline.timeRemaining(TimeUnit.MILLISECONDS) <= delayMs + minAttemptMs) {
        future.completeExceptionally(unavailable(endpoint, failure));
        return;
      }
      pool.resetConnectBackoff();
      try {
        retryScheduler.schedule(() -> start(next), delayMs, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        future.completeExceptionally(closedException());
      }
    }

    private UnavailableException unavailable(Endpoint last, Throwable failure) {
      StringBuilder message = new StringBuilder();
      if (fixedEndpoint == null) {
        message.append("no endpoint could serve the request within ");
        message.append(format(requestTimeout)).append(": ");
      }
      String separator = "";
      for (Map.Entry<String, String> entry : failures.entrySet()) {
        message.append(separator).append(entry.getKey()).append(": ").append(entry.getValue());
        separator = "; ";
      }
      return new UnavailableException(
          message.toString(), etcdMessage(failure), last.address(), failure);
    }

    private OutcomeUnknownException outcomeUnknown(Endpoint endpoint, Throwable failure) {
      Status status = Status.fromThrowable(failure);
      String reason =
          status.getCode() == Status.Code.DEADLINE_EXCEEDED
              ? "no answer within " + format(requestTimeout)
              : FailureClassifier.describe(failure);
      return new OutcomeUnknownException(
          "outcome unknown, the write may or may not have been applied: "
              + endpoint.address()
              + ": "
              + reason,
          status.getCode(),
          status.getDescription(),
          endpoint.address(),
          failure);
    }

    /** Receives the one response of a unary call. */
    private final class Observer implements StreamObserver<R> {
      private final int index;
      private final Endpoint endpoint;
      private final SendTracker tracker;
      private R response;

      Observer(int index, Endpoint endpoint, SendTracker tracker) {
        this.index = index;
        this.endpoint = endpoint;
        this.tracker = tracker;
      }

      @Override
      public void onNext(R value) {
        response = value;
      }

      @Override
      public void onError(Throwable failure) {
        onFailure(index, endpoint, failure, tracker.maybeSent());
      }

      @Override
      public void onCompleted() {
        if (response == null) {
          future.completeExceptionally(
              new BallotException(
                  endpoint.address() + " closed the call without a response",
                  Status.Code.INTERNAL,
                  null,
                  endpoint.address(),
                  null));
          return;
        }
        if (fixedEndpoint == null) {
          pool.markWorking(index);
        }
        future.complete(response);
      }
    }
  }

  /** Runs {@code settled} once the channel leaves IDLE and CONNECTING for another state. */
  private static void whenSettled(
      ManagedChannel channel, ConnectivityState source, Runnable settled) {
    channel.notifyWhenStateChanged(
        source,
        () -> {
          ConnectivityState now = channel.getState(true);
          if (now == ConnectivityState.IDLE || now == ConnectivityState.CONNECTING) {
            whenSettled(channel, now, settled);
          } else {
            settled.run();
          }
        });
  }

  private static BallotException closedException() {
    return new BallotException("the client is closed", Status.Code.CANCELLED, null, null, null);
  }

  private static String etcdMessage(Throwable failure) {
    String message = Status.fromThrowable(failure).getDescription();
    return message != null && message.startsWith("etcdserver:") ? message : null;
  }

  static String format(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
  }
}
