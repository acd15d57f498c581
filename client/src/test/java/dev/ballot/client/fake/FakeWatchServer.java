package dev.ballot.client.fake;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.WatchCreateRequest;
import dev.ballot.etcd.api.WatchGrpc;
import dev.ballot.etcd.api.WatchRequest;
import dev.ballot.etcd.api.WatchResponse;
import dev.ballot.etcd.mvcc.Event;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One fake etcd member on 127.0.0.1 serving the Watch service from a {@link FakeHistory} shared
 * with other members, as etcd 3.4 does: creates answered in order, history replayed from the start
 * revision in responses of a few events (never splitting a revision), then live events; a start
 * revision below the compact revision gets a cancel naming it. It records what clients asked and
 * can break its streams after some events, refuse for want of a leader, or die.
 */
public final class FakeWatchServer implements AutoCloseable {
  private static final Comparator<ByteString> KEYS = ByteString.unsignedLexicographicalComparator();

  private final FakeHistory history;
  private final long memberId;
  private final int maxEventsPerResponse;
  private final Server server;
  private final List<WatchCreateRequest> creates = new CopyOnWriteArrayList<>();
  private final List<Long> cancels = new CopyOnWriteArrayList<>();
  private final List<Session> sessions = new CopyOnWriteArrayList<>();
  private final AtomicInteger streamsOpened = new AtomicInteger();

  /** Events still to send before every stream breaks; negative: never. Guarded by history. */
  private int eventsUntilBreak = -1;

  /** Guarded by history. */
  private boolean noLeader;

  private FakeWatchServer(FakeHistory history, long memberId, int maxEventsPerResponse)
      throws IOException {
    this.history = history;
    this.memberId = memberId;
    this.maxEventsPerResponse = maxEventsPerResponse;
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new WatchService())
            .build()
            .start();
  }

  /** Starts a member serving {@code history}, sending at most that many events per response. */
  public static FakeWatchServer start(
      FakeHistory history, long memberId, int maxEventsPerResponse) {
    try {
      return new FakeWatchServer(history, memberId, maxEventsPerResponse);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  /** The create requests received, in order. */
  public List<WatchCreateRequest> creates() {
    return List.copyOf(creates);
  }

  /** The watch ids clients cancelled. */
  public List<Long> cancels() {
    return List.copyOf(cancels);
  }

  public int streamsOpened() {
    return streamsOpened.get();
  }

  /** Every stream fails with UNAVAILABLE once {@code events} more events were sent on it. */
  public void breakStreamsAfterEvents(int events) {
    synchronized (history) {
      eventsUntilBreak = events;
    }
  }

  /** As a node that lost its leader: cancels every watch, and every new one, "no leader". */
  public void loseLeader() {
    synchronized (history) {
      noLeader = true;
      for (Session session : sessions) {
        session.cancelAll("etcdserver: no leader");
      }
    }
  }

  /** As kill -9: every connection drops at once. */
  /**
   * Stops the member at once and returns only when its streams are gone, so that a write made after
   * kill() can only reach clients through the other members (a stream torn down asynchronously
   * could still carry it, and a watch would resume later than the test expects).
   */
  public void kill() {
    close();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ResponseHeader header() {
    return ResponseHeader.newBuilder()
        .setClusterId(7)
        .setMemberId(memberId)
        .setRevision(history.revision())
        .setRaftTerm(2)
        .build();
  }

  private final class WatchService extends WatchGrpc.WatchImplBase {
    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
      streamsOpened.incrementAndGet();
      Session session = new Session((ServerCallStreamObserver<WatchResponse>) responses);
      sessions.add(session);
      return session;
    }
  }

  /** One client stream; everything it does happens under the history's lock. */
  private final class Session implements StreamObserver<WatchRequest> {
    private final ServerCallStreamObserver<WatchResponse> out;
    private final Map<Long, Consumer<Event>> watchers = new LinkedHashMap<>();
    private long nextWatchId;
    private boolean ended;

    Session(ServerCallStreamObserver<WatchResponse> out) {
      this.out = out;
      out.setOnCancelHandler(
          () -> {
            synchronized (history) {
              end();
            }
          });
    }

    @Override
    public void onNext(WatchRequest request) {
      synchronized (history) {
        if (ended) {
          return;
        }
        if (request.hasCreateRequest()) {
          create(request.getCreateRequest());
        } else if (request.hasCancelRequest()) {
          long id = request.getCancelRequest().getWatchId();
          cancels.add(id);
          Consumer<Event> watcher = watchers.remove(id);
          if (watcher != null) {
            history.unsubscribe(watcher);
            send(response(id).setCanceled(true).build(), 0);
          }
        }
      }
    }

    private void create(WatchCreateRequest create) {
      creates.add(create);
      long id = nextWatchId++;
      if (noLeader) {
        send(
            response(id)
                .setCreated(true)
                .setCanceled(true)
                .setCancelReason("etcdserver: no leader")
                .build(),
            0);
        return;
      }
      long start =
          create.getStartRevision() == 0 ? history.revision() + 1 : create.getStartRevision();
      send(response(id).setCreated(true).build(), 0);
      if (create.getStartRevision() != 0 && start < history.compactRevision()) {
        send(
            response(id).setCanceled(true).setCompactRevision(history.compactRevision()).build(),
            0);
        return;
      }
      List<Event> batch = new ArrayList<>();
      for (Event event : history.since(start)) {
        if (matches(create, event)) {
          batch.add(shape(create, event));
          if (batch.size() == maxEventsPerResponse) {
            sendEvents(id, batch);
            batch.clear();
          }
        }
      }
      if (!batch.isEmpty()) {
        sendEvents(id, batch);
      }
      if (ended) {
        return;
      }
      Consumer<Event> watcher =
          event -> {
            if (matches(create, event)) {
              sendEvents(id, List.of(shape(create, event)));
            }
          };
      watchers.put(id, watcher);
      history.subscribe(watcher);
    }

    void cancelAll(String reason) {
      for (Long id : List.copyOf(watchers.keySet())) {
        history.unsubscribe(watchers.remove(id));
        send(response(id).setCanceled(true).setCancelReason(reason).build(), 0);
      }
    }

    private void sendEvents(long id, List<Event> events) {
      send(response(id).addAllEvents(events).build(), events.size());
    }

    private WatchResponse.Builder response(long id) {
      return WatchResponse.newBuilder().setHeader(header()).setWatchId(id);
    }

    private void send(WatchResponse response, int events) {
      if (ended) {
        return;
      }
      try {
        out.onNext(response);
      } catch (RuntimeException cancelled) {
        end();
        return;
      }
      if (eventsUntilBreak >= 0 && events > 0) {
        eventsUntilBreak -= events;
        if (eventsUntilBreak <= 0) {
          eventsUntilBreak = -1;
          end();
          out.onError(Status.UNAVAILABLE.withDescription("fake stream break").asException());
        }
      }
    }

    private void end() {
      ended = true;
      watchers.values().forEach(history::unsubscribe);
      watchers.clear();
      sessions.remove(this);
    }

    @Override
    public void onError(Throwable t) {
      synchronized (history) {
        end();
      }
    }

    @Override
    public void onCompleted() {
      synchronized (history) {
        end();
        out.onCompleted();
      }
    }
  }

  private static boolean matches(WatchCreateRequest create, Event event) {
    ByteString key = event.getKv().getKey();
    boolean inRange;
    if (create.getRangeEnd().isEmpty()) {
      inRange = key.equals(create.getKey());
    } else if (create.getRangeEnd().equals(ByteString.copyFrom(new byte[] {0}))) {
      inRange = KEYS.compare(key, create.getKey()) >= 0;
    } else {
      inRange =
          KEYS.compare(key, create.getKey()) >= 0 && KEYS.compare(key, create.getRangeEnd()) < 0;
    }
    boolean filtered =
        (event.getType() == Event.EventType.PUT
                && create.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT))
            || (event.getType() == Event.EventType.DELETE
                && create.getFiltersList().contains(WatchCreateRequest.FilterType.NODELETE));
    return inRange && !filtered;
  }

  private static Event shape(WatchCreateRequest create, Event event) {
    return create.getPrevKv() ? event : event.toBuilder().clearPrevKv().build();
  }
}
