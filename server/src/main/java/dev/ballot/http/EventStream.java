package dev.ballot.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ballot.etcd.api.WatchCreateRequest;
import dev.ballot.etcd.api.WatchRequest;
import dev.ballot.etcd.api.WatchResponse;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.metrics.GrpcMeters;
import dev.ballot.metrics.NodeMeters;
import dev.ballot.node.NodeStatus;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/events}: the dashboard's live feed, as server-sent events. Once a second every stream
 * gets the node's status and a sample (writes applied, commit latency); elections as this node sees
 * them; and the keys written (never values), read from a watch on every key that runs only while a
 * stream is open. A history of each is kept, so a new page starts with the last minutes.
 *
 * <p>All state is touched on the one {@code http-events} thread ({@link #events}).
 */
final class EventStream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventStream.class);

  static final int MAX_STREAMS = 64;
  static final int SAMPLES_KEPT = 300; // five minutes, one a second
  static final int ELECTIONS_KEPT = 20;
  static final int WRITES_KEPT = 50;
  static final int WRITES_PUSHED_PER_SECOND = 20;

  /** Watch answers handed to the events thread and not yet taken; beyond it they are dropped. */
  static final int MAX_QUEUED_WATCH_RESPONSES = 256;

  private final AtomicInteger queuedWatchResponses = new AtomicInteger();

  private final NodeView node;
  private final StatusView statusView;
  private final NodeMeters meters;
  private final GrpcMeters grpcMeters;
  private final Loopback loopback;
  private final ScheduledExecutorService events;

  private final Set<Channel> streams = ConcurrentHashMap.newKeySet();
  private final Deque<JsonNode> samples = new ArrayDeque<>();
  private final Deque<JsonNode> elections = new ArrayDeque<>();
  private final Deque<JsonNode> writes = new ArrayDeque<>();
  private int writesPushedThisSecond;
  private ClientCallStreamObserver<WatchRequest> watch;
  private long lastTickNanos = System.nanoTime();

  EventStream(
      NodeView node,
      StatusView statusView,
      NodeMeters meters,
      GrpcMeters grpcMeters,
      Loopback loopback,
      ScheduledExecutorService events) {
    this.node = node;
    this.statusView = statusView;
    this.meters = meters;
    this.grpcMeters = grpcMeters;
    this.loopback = loopback;
    this.events = events;
    meters.onLeaderOrTermChange(leaderListener);
    NodeStatus now = node.status();
    events.execute(() -> election(now));
  }

  /** On the driver thread: hands the change over, never blocks or throws. */
  private final Consumer<NodeStatus> leaderListener = s -> runOnEvents(() -> election(s));

  /** Runs on the events thread, unless it has stopped (the node is stopping). */
  private void runOnEvents(Runnable task) {
    try {
      events.execute(task);
    } catch (RejectedExecutionException e) {
      // stopping: the dashboards are being closed anyway
    }
  }

  /** Starts the once-a-second sample and push. */
  void start() {
    events.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
  }

  /** Adds a stream that has been sent its response headers; false if there are too many. */
  boolean add(Channel channel) {
    if (streams.size() >= MAX_STREAMS) {
      return false;
    }
    streams.add(channel);
    channel.closeFuture().addListener(f -> runOnEvents(() -> removed(channel)));
    events.execute(
        () -> {
          ObjectNode history = JsonCodec.object();
          history.putArray("samples").addAll(samples);
          history.putArray("elections").addAll(elections);
          history.putArray("writes").addAll(writes);
          send(channel, "history", history);
          if (watch == null) {
            startWatch();
          }
          // The page fills at once rather than at the next tick.
          JsonNode sample = samples.peekLast();
          statusView
              .status(events)
              .thenAccept(
                  status -> {
                    if (sample != null) {
                      status.set("sample", sample);
                    }
                    send(channel, "status", status);
                  });
        });
    return true;
  }

  private void removed(Channel channel) {
    streams.remove(channel);
    if (streams.isEmpty() && watch != null) {
      watch.cancel("no dashboard is open", null);
      watch = null;
    }
  }

  private void tick() {
    try {
      long now = System.nanoTime();
      double seconds = Math.max(0.001, (now - lastTickNanos) / 1e9);
      lastTickNanos = now;
      ObjectNode sample = JsonCodec.object();
      sample.put("time_ms", System.currentTimeMillis());
      sample.put("writes_per_sec", Math.round(meters.takeApplied() / seconds * 10) / 10.0);
      percentiles(sample, "commit", meters.takeCommitLatencies());
      percentiles(sample, "write", grpcMeters.takeWriteLatencies());
      remember(samples, sample, SAMPLES_KEPT);
      writesPushedThisSecond = 0;
      if (streams.isEmpty()) {
        return;
      }
      statusView
          .status(events)
          .thenAccept(
              status -> {
                status.set("sample", sample);
                broadcast("status", status);
              });
    } catch (RuntimeException e) {
      log.warn("dashboard sample failed error=\"{}\"", e.toString());
    }
  }

  private static void percentiles(ObjectNode sample, String name, Histogram micros) {
    if (micros.getTotalCount() == 0) {
      sample.putNull(name + "_p50_ms");
      sample.putNull(name + "_p99_ms");
    } else {
      sample.put(name + "_p50_ms", micros.getValueAtPercentile(50) / 1000.0);
      sample.put(name + "_p99_ms", micros.getValueAtPercentile(99) / 1000.0);
    }
  }

  private void election(NodeStatus s) {
    JsonNode last = elections.peekLast();
    if (last == null
        ? s.leaderId() == 0 // starting up: no leader yet is not news
        : last.path("leader_id").asLong() == s.leaderId()
            && (s.leaderId() == 0 || last.path("term").asLong() == s.term())) {
      return;
    }
    ObjectNode e = JsonCodec.object();
    e.put("time_ms", System.currentTimeMillis());
    e.put("term", s.term());
    e.put("leader_id", s.leaderId());
    e.put("leader_name", node.nameOf(s.leaderId()));
    remember(elections, e, ELECTIONS_KEPT);
    broadcast("election", e);
  }

  /** A watch on every key from now on, through the client port, for the dashboard's writes. */
  private void startWatch() {
    WatchCreateRequest create =
        WatchCreateRequest.newBuilder()
            .setKey(com.google.protobuf.ByteString.copyFrom(new byte[] {0}))
            .setRangeEnd(com.google.protobuf.ByteString.copyFrom(new byte[] {0}))
            .build();
    WatchRequest request = WatchRequest.newBuilder().setCreateRequest(create).build();
    io.grpc.stub.StreamObserver<WatchRequest> requests =
        loopback
            .watch()
            .watch(
                new ClientResponseObserver<WatchRequest, WatchResponse>() {
                  ClientCallStreamObserver<WatchRequest> stream;

                  @Override
                  public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                    // Called within watch(), on the events thread: no second watch starts now.
                    stream = requestStream;
                    watch = requestStream;
                  }

                  @Override
                  public void onNext(WatchResponse response) {
                    // Writes faster than the events thread takes them are dropped, not queued:
                    // the page shows at most WRITES_PUSHED_PER_SECOND a second anyway.
                    if (response.getEventsCount() == 0) {
                      return;
                    }
                    if (queuedWatchResponses.incrementAndGet() > MAX_QUEUED_WATCH_RESPONSES) {
                      queuedWatchResponses.decrementAndGet();
                      return;
                    }
                    runOnEvents(
                        () -> {
                          queuedWatchResponses.decrementAndGet();
                          written(response);
                        });
                  }

                  @Override
                  public void onError(Throwable t) {
                    runOnEvents(() -> watchEnded(stream));
                  }

                  @Override
                  public void onCompleted() {
                    runOnEvents(() -> watchEnded(stream));
                  }
                });
    requests.onNext(request);
  }

  /** The watch broke (the node stopping, a compaction): start another while streams remain. */
  private void watchEnded(ClientCallStreamObserver<WatchRequest> stream) {
    if (watch != stream) {
      return; // cancelled on purpose
    }
    watch = null;
    if (!streams.isEmpty()) {
      events.schedule(
          () -> {
            if (watch == null && !streams.isEmpty()) {
              startWatch();
            }
          },
          1,
          TimeUnit.SECONDS);
    }
  }

  private void written(WatchResponse response) {
    for (Event event : response.getEventsList()) {
      ObjectNode w = JsonCodec.object();
      w.put("time_ms", System.currentTimeMillis());
      w.put("revision", event.getKv().getModRevision());
      w.put("type", event.getType() == Event.EventType.DELETE ? "DELETE" : "PUT");
      JsonCodec.putBytes(w, "key", event.getKv().getKey());
      remember(writes, w, WRITES_KEPT);
      if (writesPushedThisSecond < WRITES_PUSHED_PER_SECOND) {
        writesPushedThisSecond++;
        broadcast("write", w);
      }
    }
  }

  private static void remember(Deque<JsonNode> kept, JsonNode item, int max) {
    kept.addLast(item);
    while (kept.size() > max) {
      kept.removeFirst();
    }
  }

  private void broadcast(String event, JsonNode data) {
    if (streams.isEmpty()) {
      return;
    }
    String text = frame(event, data);
    for (Channel ch : streams) {
      write(ch, text);
    }
  }

  private void send(Channel ch, String event, JsonNode data) {
    write(ch, frame(event, data));
  }

  /** A stream that cannot keep up (its socket buffer full) misses events rather than queue them. */
  private static void write(Channel ch, String text) {
    if (ch.isActive() && ch.isWritable()) {
      ch.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
    }
  }

  static String frame(String event, JsonNode data) {
    return "event: " + event + "\ndata: " + data.toString() + "\n\n";
  }

  int streams() {
    return streams.size();
  }

  /** Ends every stream and the watch, on the events thread; waits for that at most 2 s. */
  @Override
  public void close() {
    meters.removeLeaderListener(leaderListener);
    try {
      events
          .submit(
              () -> {
                streams.forEach(Channel::close);
                if (watch != null) {
                  watch.cancel("stopping", null);
                  watch = null;
                }
              })
          .get(2, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      streams.forEach(Channel::close);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
