package dev.ballot.bench;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Keeps {@code clients} requests in flight over a fixed set of channels, warms up, then measures
 * for a fixed window: completions and their latencies (HdrHistogram), errors by status code, and
 * the servers' CPU time and peak memory.
 *
 * <p>No thread per client: each client sends its next request from the callback of the previous
 * one, on gRPC's network threads. Only completions inside the measured window are counted.
 */
public final class LoadGenerator {
  private static final long HIGHEST_TRACKABLE_MICROS = TimeUnit.MINUTES.toMicros(5);
  private static final int SIGNIFICANT_DIGITS = 3;
  private static final long ERROR_BACKOFF_MS = 10;
  private static final long PROGRESS_PERIOD_MS = 1_000;
  private static final Duration LEADER_PATIENCE = Duration.ofSeconds(30);
  private static final String MISSING_KEY = "MISSING_KEY";

  private enum Phase {
    WARMUP,
    MEASURE,
    DONE
  }

  private final LoadConfig config;
  private final ServerProcesses servers;
  private final PrintStream progress;
  private final KeySpace keys;
  private final ByteString value;
  private final Recorder latencyMicros = new Recorder(HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
  private final LongAdder completedInPhase = new LongAdder();
  private final LongAdder errorsInPhase = new LongAdder();
  private final Map<String, LongAdder> errorCodes = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "bench-timer");
            thread.setDaemon(true);
            return thread;
          });
  private volatile Phase phase = Phase.WARMUP;
  private volatile long phaseStartNanos;

  public LoadGenerator(LoadConfig config, ServerProcesses servers, PrintStream progress) {
    this.config = config;
    this.servers = servers;
    this.progress = progress;
    this.keys = new KeySpace(config.keys());
    byte[] bytes = new byte[config.valueSizeBytes()];
    new SplittableRandom(config.seed()).nextBytes(bytes);
    this.value = ByteString.copyFrom(bytes);
  }

  /** Runs the warm-up and the measured window, and returns the result. */
  public RunResult run() throws InterruptedException {
    List<EndpointStatus> statuses = StatusProbe.awaitLeader(config.endpoints(), LEADER_PATIENCE);
    List<String> targets = TargetSelection.select(config.target(), statuses);
    List<ManagedChannel> channels = Channels.openRoundRobin(targets, config.connections());
    try {
      if (config.workload().reads()) {
        // openRoundRobin gives the i-th channel to the i-th target: the first ones reach each once.
        preload(channels.subList(0, Math.min(targets.size(), channels.size())));
      }
      return measure(channels);
    } finally {
      timer.shutdownNow();
      Channels.close(channels);
    }
  }

  /**
   * Writes every key through each endpoint that does not hold them all yet ({@code perTarget}: one
   * channel to each). A cluster needs this once, since what one member holds all do; the floor
   * servers share nothing, so each is loaded on its own, or gets on one would miss the keys put
   * through another.
   */
  private void preload(List<ManagedChannel> perTarget) throws InterruptedException {
    for (ManagedChannel channel : perTarget) {
      if (!Preloader.alreadyLoaded(channel, keys, config.requestTimeout())) {
        progress.printf("preloading %d keys through %s ...%n", keys.size(), channel.authority());
        Preloader.load(channel, keys, value, config.requestTimeout());
      }
    }
  }

  private RunResult measure(List<ManagedChannel> channels) throws InterruptedException {
    startPhase(Phase.WARMUP);
    timer.scheduleAtFixedRate(
        this::printProgress, PROGRESS_PERIOD_MS, PROGRESS_PERIOD_MS, TimeUnit.MILLISECONDS);
    for (int i = 0; i < config.clients(); i++) {
      Client<?> client = newClient(channels.get(i % channels.size()), config.seed() + i);
      client.send();
    }
    sleepFor(config.warmup());

    double serverCpuStartS = servers.isEmpty() ? 0 : servers.cpuSeconds();
    long clientCpuStartNanos = processCpuNanos();
    latencyMicros.reset();
    startPhase(Phase.MEASURE);
    long startNanos = phaseStartNanos;
    sleepFor(config.duration());

    phase = Phase.DONE;
    long endNanos = System.nanoTime();
    Histogram histogram = latencyMicros.getIntervalHistogram();
    long errors = errorsInPhase.sum();
    double serverCpuS = servers.isEmpty() ? 0 : servers.cpuSeconds() - serverCpuStartS;
    long clientCpuNanos = processCpuNanos() - clientCpuStartNanos;
    double windowS = (endNanos - startNanos) / 1e9;
    printProgress();
    progress.println();
    drain();

    long ops = histogram.getTotalCount();
    ServerUsage usage =
        servers.isEmpty()
            ? null
            : new ServerUsage(
                serverCpuS / windowS, ops == 0 ? 0 : serverCpuS * 1e6 / ops, servers.peakRssMib());
    Map<String, Long> codes = new TreeMap<>();
    errorCodes.forEach((code, count) -> codes.put(code, count.sum()));
    return new RunResult(
        config.system(),
        config.row(),
        config.workload().cliName(),
        config.clients(),
        config.target().cliName(),
        ops,
        ops / windowS,
        errors,
        codes,
        RunResult.failedRun(ops, errors),
        RunResult.failureReason(ops, errors),
        ops == 0 ? null : LatencyMs.fromMicros(histogram),
        usage,
        clientCpuNanos / 1e9 / windowS);
  }

  private Client<?> newClient(ManagedChannel channel, long seed) {
    KVGrpc.KVStub stub = KVGrpc.newStub(channel);
    return config.workload() == Workload.PUT
        ? new PutClient(stub, seed)
        : new GetClient(stub, seed, config.workload() == Workload.GET_SER);
  }

  private void startPhase(Phase next) {
    completedInPhase.reset();
    errorsInPhase.reset();
    errorCodes.clear();
    phaseStartNanos = System.nanoTime();
    phase = next;
  }

  private void printProgress() {
    Phase now = phase;
    double elapsedS = (System.nanoTime() - phaseStartNanos) / 1e9;
    progress.printf(
        Locale.ROOT,
        "\r%s %s %s: %-7s %5.1f s  %,10.0f ops/s so far  errors %d   ",
        config.system(),
        config.row(),
        config.workload().cliName(),
        now.name().toLowerCase(Locale.ROOT),
        elapsedS,
        completedInPhase.sum() / Math.max(elapsedS, 1e-3),
        errorsInPhase.sum());
    progress.flush();
  }

  /** Waits until the requests still in flight end (at most one request timeout). */
  private void drain() throws InterruptedException {
    long deadline = System.nanoTime() + config.requestTimeout().toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(5); // requests end on network threads; nothing to await here
    }
  }

  private static void sleepFor(Duration duration) throws InterruptedException {
    TimeUnit.NANOSECONDS.sleep(duration.toNanos());
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** One client: exactly one request in flight; the next one is sent when it ends. */
  private abstract class Client<T> implements StreamObserver<T> {
    final KVGrpc.KVStub stub;
    final SplittableRandom random;
    private long sentNanos;
    private boolean ok;
    private String problem;

    Client(KVGrpc.KVStub stub, long seed) {
      this.stub = stub;
      this.random = new SplittableRandom(seed);
    }

    final void send() {
      if (phase == Phase.DONE) {
        return;
      }
      inFlight.incrementAndGet();
      ok = true;
      problem = null;
      sentNanos = System.nanoTime();
      start(
          stub.withDeadlineAfter(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS),
          keys.key(random.nextInt(keys.size())));
    }

    abstract void start(KVGrpc.KVStub stub, ByteString key);

    /** Marks the answer wrong (counted as an error) although the call succeeded. */
    final void reject(String code) {
      ok = false;
      problem = code;
    }

    @Override
    public final void onCompleted() {
      long latencyNanos = System.nanoTime() - sentNanos;
      Phase now = phase;
      if (ok) {
        if (now == Phase.MEASURE) {
          latencyMicros.recordValue(Math.min(latencyNanos / 1_000, HIGHEST_TRACKABLE_MICROS));
        }
        completedInPhase.increment();
        inFlight.decrementAndGet();
        send();
      } else {
        failed(problem);
      }
    }

    @Override
    public final void onError(Throwable t) {
      failed(Status.fromThrowable(t).getCode().name());
    }

    private void failed(String code) {
      if (phase != Phase.DONE) {
        errorsInPhase.increment();
        errorCodes.computeIfAbsent(code, c -> new LongAdder()).increment();
      }
      inFlight.decrementAndGet();
      if (phase != Phase.DONE) {
        // A failing endpoint answers at once: pause, so that errors do not spin the CPU.
        timer.schedule(this::send, ERROR_BACKOFF_MS, TimeUnit.MILLISECONDS);
      }
    }
  }

  private final class PutClient extends Client<PutResponse> {
    PutClient(KVGrpc.KVStub stub, long seed) {
      super(stub, seed);
    }

    @Override
    void start(KVGrpc.KVStub stub, ByteString key) {
      stub.put(PutRequest.newBuilder().setKey(key).setValue(value).build(), this);
    }

    @Override
    public void onNext(PutResponse response) {}
  }

  private final class GetClient extends Client<RangeResponse> {
    private final boolean serializable;

    GetClient(KVGrpc.KVStub stub, long seed, boolean serializable) {
      super(stub, seed);
      this.serializable = serializable;
    }

    @Override
    void start(KVGrpc.KVStub stub, ByteString key) {
      stub.range(RangeRequest.newBuilder().setKey(key).setSerializable(serializable).build(), this);
    }

    @Override
    public void onNext(RangeResponse response) {
      if (response.getKvsCount() != 1) {
        reject(MISSING_KEY);
      }
    }
  }
}
