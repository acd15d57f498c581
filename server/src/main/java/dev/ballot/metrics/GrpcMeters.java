package dev.ballot.metrics;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counts every call of the client port by method and status code ({@code
 * ballot_grpc_server_handled_total}), and times unary calls ({@code
 * ballot_grpc_server_handling_seconds}); streams (Watch, LeaseKeepAlive) are counted when they end.
 * Writes (Put, DeleteRange, Txn) are also kept per second for the dashboard.
 */
public final class GrpcMeters implements ServerInterceptor {
  private record Key(String method, Status.Code code) {}

  /** What the meters need of a method, worked out once per method. */
  private record Method(String name, boolean unary, boolean write) {
    static Method of(MethodDescriptor<?, ?> descriptor) {
      // "etcdserverpb.KV/Range" -> "KV/Range"
      String full = descriptor.getFullMethodName();
      int dot = full.lastIndexOf('.', full.indexOf('/'));
      String name = dot < 0 ? full : full.substring(dot + 1);
      return new Method(
          name,
          descriptor.getType() == MethodDescriptor.MethodType.UNARY,
          name.equals("KV/Put") || name.equals("KV/DeleteRange") || name.equals("KV/Txn"));
    }
  }

  private final ConcurrentMap<MethodDescriptor<?, ?>, Method> methods = new ConcurrentHashMap<>();

  private final MeterRegistry registry;
  private final ConcurrentMap<Key, Counter> handled = new ConcurrentHashMap<>();
  private final ConcurrentMap<Key, Timer> timers = new ConcurrentHashMap<>();
  private final Recorder writeLatencyMicros = new Recorder(3);

  public GrpcMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Latencies (microseconds) of the writes this node answered since the last call. */
  public Histogram takeWriteLatencies() {
    return writeLatencyMicros.getIntervalHistogram();
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    Method method = methods.computeIfAbsent(call.getMethodDescriptor(), Method::of);
    String name = method.name();
    boolean unary = method.unary();
    boolean write = method.write();
    long started = System.nanoTime();
    return next.startCall(
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            Key key = new Key(name, status.getCode());
            handled.computeIfAbsent(key, this::counter).increment();
            if (unary) {
              long nanos = System.nanoTime() - started;
              timers.computeIfAbsent(key, this::timer).record(nanos, TimeUnit.NANOSECONDS);
              if (write && status.isOk()) {
                writeLatencyMicros.recordValue(nanos / 1000);
              }
            }
            super.close(status, trailers);
          }

          private Counter counter(Key k) {
            return Counter.builder("ballot.grpc.server.handled")
                .description("Client calls ended, by method and gRPC status code")
                .tag("method", k.method())
                .tag("code", k.code().name())
                .register(registry);
          }

          private Timer timer(Key k) {
            return NodeMeters.latency(
                    "ballot.grpc.server.handling", "Time to answer a unary client call")
                .tag("method", k.method())
                .tag("code", k.code().name())
                .register(registry);
          }
        },
        headers);
  }
}
