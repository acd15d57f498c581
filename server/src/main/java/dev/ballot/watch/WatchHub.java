package dev.ballot.watch;

import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.WatchCreateRequest;
import dev.ballot.etcd.api.WatchResponse;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.kv.KvError;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves etcd watches from this node's store, so any member serves them: a watcher receives the
 * changes of every revision from its start revision on, in order, each once, from the node's
 * applied state, which is the same on every member whatever the leader.
 *
 * <p>Two paths, as etcd's watchable store: a <em>synced</em> watcher is handed each new revision by
 * the apply thread ({@link #changed}), right after it is written; any other watcher (one that
 * starts in the past, or whose client stopped reading, or that missed revisions to a snapshot
 * install) catches up by reading the {@link KvStore#history} on the hub's own thread, a bounded
 * batch at a time, and joins the synced ones once it reaches the newest revision. Nothing is queued
 * for a slow client: when gRPC's flow control says it is not reading, its watchers fall behind and
 * read history again later, so memory stays bounded; if the history they need is compacted
 * meanwhile they are cancelled with the compact revision, as etcd does.
 */
public final class WatchHub implements KvStore.ChangeListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WatchHub.class);

  /** Events sent in one response when catching up, and the size of a fragment. */
  static final int MAX_RESPONSE_BYTES = 1 << 20;

  /**
   * The most one revision's events may come to for one watcher (as it selected them: previous
   * values only if it asked): a catch-up holds a whole revision in memory to send it. A range
   * delete has no size bound, so one revision can be larger than the heap; a watcher that would
   * need more is cancelled, with a reason that says so, instead of taking the node down.
   */
  static final long MAX_REVISION_BYTES = 128L << 20;

  /** Watchers on one stream; etcd sets no bound, but each costs memory. */
  static final int MAX_WATCHERS_PER_STREAM = 10_000;

  private final KvStore kv;
  private final LongFunction<ResponseHeader> headers;
  private final ScheduledExecutorService thread;
  private final BooleanSupplier hasLeader;

  /** {@link #MAX_REVISION_BYTES}, but in tests. */
  private long maxRevisionBytes = MAX_REVISION_BYTES;

  /** Leader checks in a row that found none; only the hub's thread touches it. */
  private int leaderless;

  private final Object lock = new Object();

  /** The newest revision whose changes were handed out; guarded by {@link #lock}. */
  private long lastRevision;

  /** Every open Watch call; guarded by {@link #lock}. */
  private final Set<WatchStream> streams = new LinkedHashSet<>();

  /** The watchers the apply thread serves; guarded by {@link #lock}. */
  private final Set<Watcher> synced = new LinkedHashSet<>();

  /**
   * @param headers the response header for a store revision
   * @param progressInterval how often a watcher that asked for progress notifications hears of the
   *     revision reached while it sees no events (etcd: 10 minutes)
   */
  public WatchHub(
      KvStore kv, LongFunction<ResponseHeader> headers, Duration progressInterval, long nodeId) {
    this(kv, headers, progressInterval, nodeId, () -> true, Duration.ofSeconds(1));
  }

  /**
   * @param hasLeader whether this node knows a leader now
   * @param leaderCheck how often streams that require a leader check for one; one with none for
   *     three checks in a row ends with etcd's "etcdserver: no leader" (UNAVAILABLE), as etcd's
   *     {@code monitorLeader} does
   */
  public WatchHub(
      KvStore kv,
      LongFunction<ResponseHeader> headers,
      Duration progressInterval,
      long nodeId,
      BooleanSupplier hasLeader,
      Duration leaderCheck) {
    this.kv = kv;
    this.headers = headers;
    this.hasLeader = hasLeader;
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "watch-" + nodeId);
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    this.thread = executor;
    synchronized (lock) {
      lastRevision = kv.revision();
    }
    long periodMs = Math.max(1, progressInterval.toMillis() / 2);
    thread.scheduleWithFixedDelay(
        () -> notifyProgress(progressInterval.toNanos()),
        periodMs,
        periodMs,
        TimeUnit.MILLISECONDS);
    thread.scheduleWithFixedDelay(
        this::checkLeader, leaderCheck.toMillis(), leaderCheck.toMillis(), TimeUnit.MILLISECONDS);
    kv.onChanges(this);
  }

  /** For tests: a smaller {@link #MAX_REVISION_BYTES}. */
  WatchHub maxRevisionBytes(long bytes) {
    this.maxRevisionBytes = bytes;
    return this;
  }

  /** A new Watch call; {@code requiresLeader}: etcd's {@code hasleader} metadata. */
  WatchStream open(
      io.grpc.stub.ServerCallStreamObserver<WatchResponse> out, boolean requiresLeader) {
    WatchStream stream = new WatchStream(out, requiresLeader);
    out.setOnReadyHandler(() -> onReady(stream));
    synchronized (lock) {
      streams.add(stream);
    }
    return stream;
  }

  /** Creates a watcher on {@code stream}; answers {@code created}, then its events. */
  void create(WatchStream stream, WatchCreateRequest request) {
    synchronized (lock) {
      long id = request.getWatchId() != 0 ? request.getWatchId() : freeId(stream);
      String refusal = null;
      if (stream.watchers.containsKey(id)) {
        refusal = "mvcc: duplicate watch ID provided on the WatchStream";
      } else if (stream.watchers.size() >= MAX_WATCHERS_PER_STREAM) {
        refusal = "etcdserver: too many watchers on one stream (" + MAX_WATCHERS_PER_STREAM + ")";
      }
      WatchResponse.Builder created =
          WatchResponse.newBuilder()
              .setHeader(headers.apply(lastRevision))
              .setWatchId(id)
              .setCreated(true);
      if (refusal != null) {
        stream.send(created.setCanceled(true).setCancelReason(refusal).build());
        return;
      }
      long start = request.getStartRevision() > 0 ? request.getStartRevision() : lastRevision + 1;
      Watcher watcher = new Watcher(id, stream, request, start);
      stream.watchers.put(id, watcher);
      stream.send(created.build());
      if (start > lastRevision) {
        synced.add(watcher);
      } else {
        scheduleCatchUp(watcher);
      }
    }
  }

  /** Cancels a watcher of {@code stream} at its client's request; unknown ids are ignored. */
  void cancel(WatchStream stream, long watchId) {
    synchronized (lock) {
      Watcher watcher = stream.watchers.remove(watchId);
      if (watcher == null) {
        return;
      }
      forget(watcher);
      stream.send(
          WatchResponse.newBuilder()
              .setHeader(headers.apply(lastRevision))
              .setWatchId(watchId)
              .setCanceled(true)
              .build());
    }
  }

  /**
   * A progress request: answered (watch id -1, the revision every later event exceeds) once every
   * watcher of the stream has caught up, so that the revision it names is true for all of them.
   */
  void requestProgress(WatchStream stream) {
    synchronized (lock) {
      stream.progressPending = true;
      answerProgressIfSynced(stream);
    }
  }

  /** The call ended: its watchers go. */
  void close(WatchStream stream) {
    synchronized (lock) {
      for (Watcher watcher : stream.watchers.values()) {
        forget(watcher);
      }
      stream.watchers.clear();
      streams.remove(stream);
    }
    stream.close();
  }

  // ------------------------------------------------------------------ the apply thread

  @Override
  public void changed(long revision, List<Event> events) {
    synchronized (lock) {
      if (revision != lastRevision + 1) {
        lastRevision = revision;
        fallBehind(new ArrayList<>(synced));
        return;
      }
      lastRevision = revision;
      List<Watcher> behind = null;
      for (Iterator<Watcher> it = synced.iterator(); it.hasNext(); ) {
        Watcher watcher = it.next();
        if (watcher.next > revision) {
          continue; // it starts later
        }
        List<Event> mine = watcher.select(events);
        if (mine.isEmpty() || sendEvents(watcher, mine, revision)) {
          watcher.next = revision + 1;
        } else {
          it.remove();
          if (behind == null) {
            behind = new ArrayList<>();
          }
          behind.add(watcher);
        }
      }
      if (behind != null) {
        for (Watcher watcher : behind) {
          scheduleCatchUp(watcher);
        }
      }
    }
  }

  @Override
  public void replaced(long revision) {
    synchronized (lock) {
      lastRevision = revision;
      fallBehind(new ArrayList<>(synced));
    }
  }

  // ------------------------------------------------------------------ catching up

  private void fallBehind(List<Watcher> watchers) {
    for (Watcher watcher : watchers) {
      synced.remove(watcher);
      scheduleCatchUp(watcher);
    }
  }

  /** Queues a catch-up of {@code watcher} on the hub's thread; holds {@link #lock}. */
  private void scheduleCatchUp(Watcher watcher) {
    if (watcher.catchingUp || watcher.cancelled) {
      return;
    }
    watcher.catchingUp = true;
    thread.execute(() -> catchUp(watcher));
  }

  private void onReady(WatchStream stream) {
    synchronized (lock) {
      for (Watcher watcher : stream.watchers.values()) {
        if (!synced.contains(watcher)) {
          scheduleCatchUp(watcher);
        }
      }
    }
  }

  /** Sends history to {@code watcher} until it reaches the newest revision, or must wait. */
  private void catchUp(Watcher watcher) {
    try {
      while (!watcher.cancelled) {
        if (!watcher.stream.isReady()) {
          if (waitForReady(watcher)) {
            return;
          }
          continue;
        }
        Collected batch = new Collected(watcher, maxRevisionBytes);
        long snapshotRevision;
        try {
          snapshotRevision = kv.history(watcher.next, batch::add);
        } catch (KvException e) {
          if (e.error() == KvError.COMPACTED) {
            cancelCompacted(watcher);
            return;
          }
          throw new IllegalStateException("history read failed: " + e.getMessage(), e);
        }
        if (batch.tooLarge > 0) {
          log.warn(
              "watch cancelled: a revision's events exceed the bound watchId={} revision={}"
                  + " bound_bytes={}",
              watcher.id,
              batch.tooLarge,
              maxRevisionBytes);
          end(watcher, cancelled(watcher).setCancelReason(tooLargeReason(batch.tooLarge)));
          return;
        }
        batch.finish();
        long covered = batch.stopped ? batch.lastComplete : snapshotRevision;
        if (!batch.events.isEmpty() && !sendEvents(watcher, batch.events, snapshotRevision)) {
          if (waitForReady(watcher)) {
            return;
          }
          continue;
        }
        if (covered >= watcher.next) {
          watcher.next = covered + 1;
        }
        if (!batch.stopped) {
          synchronized (lock) {
            if (watcher.cancelled) {
              return;
            }
            if (watcher.next > lastRevision) {
              watcher.catchingUp = false;
              synced.add(watcher);
              answerProgressIfSynced(watcher.stream);
              return;
            }
          }
        }
      }
    } catch (RuntimeException e) {
      log.error("watch catch-up failed; cancelling the watcher watchId={}", watcher.id, e);
      end(watcher, cancelled(watcher).setCancelReason("etcdserver: watch failed on the server"));
    }
  }

  /**
   * Parks a catching-up watcher until its stream is ready again; true if parked, false if the
   * stream became ready meanwhile (the caller goes on).
   */
  private boolean waitForReady(Watcher watcher) {
    synchronized (lock) {
      watcher.catchingUp = false;
    }
    if (!watcher.stream.isReady()) {
      return true; // onReady schedules it again
    }
    synchronized (lock) {
      if (watcher.catchingUp) {
        return true; // onReady already did
      }
      watcher.catchingUp = true;
      return false;
    }
  }

  private String tooLargeReason(long revision) {
    return "etcdserver: the events of revision "
        + revision
        + " come to more than "
        + (maxRevisionBytes % (1 << 20) == 0
            ? (maxRevisionBytes >> 20) + " MiB"
            : maxRevisionBytes + " bytes")
        + " for this watcher; watch from revision "
        + (revision + 1)
        + ", a narrower range or without prev_kv";
  }

  private void cancelCompacted(Watcher watcher) {
    end(watcher, cancelled(watcher).setCompactRevision(kv.compactRevision()));
  }

  private WatchResponse.Builder cancelled(Watcher watcher) {
    return WatchResponse.newBuilder()
        .setHeader(headers.apply(kv.revision()))
        .setWatchId(watcher.id)
        .setCanceled(true);
  }

  /** Ends {@code watcher} on the server's side, telling its client with {@code response}. */
  private void end(Watcher watcher, WatchResponse.Builder response) {
    synchronized (lock) {
      watcher.stream.watchers.remove(watcher.id);
      forget(watcher);
    }
    watcher.stream.send(response.build());
  }

  /** A watcher's events from history, whole revisions up to about {@link #MAX_RESPONSE_BYTES}. */
  private static final class Collected {
    private final Watcher watcher;
    private final long maxRevisionBytes;
    final List<Event> events = new ArrayList<>();
    private final List<Event> current = new ArrayList<>();
    private long currentRevision = -1;
    private long bytes;

    /** What {@link #current} comes to. */
    private long currentBytes;

    /** Whether it stopped before the end of the history; then {@link #lastComplete} is valid. */
    boolean stopped;

    long lastComplete;

    /**
     * The revision whose events alone exceed the bound, if the scan met it before collecting any
     * other events (else it stops before it, and the next scan starts there); 0 if none.
     */
    long tooLarge;

    Collected(Watcher watcher, long maxRevisionBytes) {
      this.watcher = watcher;
      this.maxRevisionBytes = maxRevisionBytes;
    }

    boolean add(long revision, Event event) {
      if (revision != currentRevision) {
        if (bytes >= MAX_RESPONSE_BYTES && currentRevision >= 0) {
          events.addAll(current);
          stopped = true;
          lastComplete = currentRevision;
          return false;
        }
        events.addAll(current);
        current.clear();
        currentBytes = 0;
        if (!events.isEmpty()) {
          lastComplete = currentRevision;
        }
        currentRevision = revision;
      }
      Event wanted = watcher.select(event);
      if (wanted != null) {
        current.add(wanted);
        int size = wanted.getSerializedSize();
        bytes += size;
        currentBytes += size;
        if (currentBytes > maxRevisionBytes) {
          current.clear();
          if (events.isEmpty()) {
            tooLarge = revision;
          } else {
            stopped = true; // lastComplete: the revision before, whose events are collected
          }
          return false;
        }
      }
      return true;
    }

    /** The history ended without a stop: its last revision is complete too. */
    void finish() {
      if (!stopped) {
        events.addAll(current);
        current.clear();
      }
    }
  }

  // ------------------------------------------------------------------ sending

  /**
   * Sends events to {@code watcher}, in one response or, if it allows fragments and they are large,
   * in several. False if the client is not reading (nothing was sent).
   */
  private boolean sendEvents(Watcher watcher, List<Event> events, long revision) {
    WatchResponse.Builder response =
        WatchResponse.newBuilder().setHeader(headers.apply(revision)).setWatchId(watcher.id);
    long size = 0;
    for (Event event : events) {
      size += event.getSerializedSize();
    }
    if (!watcher.fragment || size <= MAX_RESPONSE_BYTES) {
      boolean sent = watcher.stream.trySend(response.addAllEvents(events).build());
      if (sent) {
        watcher.lastSentNanos = System.nanoTime();
      }
      return sent;
    }
    // Fragments of one batch go out together once the first went: a client never holds half a
    // revision that catching up would send again.
    boolean first = true;
    List<Event> part = new ArrayList<>();
    long partBytes = 0;
    for (int i = 0; i < events.size(); i++) {
      Event event = events.get(i);
      part.add(event);
      partBytes += event.getSerializedSize();
      boolean last = i == events.size() - 1;
      if (partBytes >= MAX_RESPONSE_BYTES || last) {
        WatchResponse fragment =
            response.clone().clearEvents().addAllEvents(part).setFragment(!last).build();
        if (first) {
          if (!watcher.stream.trySend(fragment)) {
            return false;
          }
          first = false;
        } else {
          watcher.stream.send(fragment);
        }
        part.clear();
        partBytes = 0;
      }
    }
    watcher.lastSentNanos = System.nanoTime();
    return true;
  }

  // ------------------------------------------------------------------ progress

  /** Holds {@link #lock}. */
  private void answerProgressIfSynced(WatchStream stream) {
    if (!stream.progressPending) {
      return;
    }
    for (Watcher watcher : stream.watchers.values()) {
      if (!synced.contains(watcher)) {
        return;
      }
    }
    stream.progressPending = false;
    stream.send(
        WatchResponse.newBuilder().setHeader(headers.apply(lastRevision)).setWatchId(-1).build());
  }

  private void notifyProgress(long intervalNanos) {
    try {
      synchronized (lock) {
        long now = System.nanoTime();
        for (Watcher watcher : synced) {
          if (watcher.progressNotify && now - watcher.lastSentNanos >= intervalNanos) {
            if (watcher.stream.trySend(
                WatchResponse.newBuilder()
                    .setHeader(headers.apply(lastRevision))
                    .setWatchId(watcher.id)
                    .build())) {
              watcher.lastSentNanos = now;
            }
          }
        }
      }
    } catch (RuntimeException e) {
      log.warn("watch progress notification failed", e);
    }
  }

  private void checkLeader() {
    try {
      leaderless = hasLeader.getAsBoolean() ? 0 : leaderless + 1;
      if (leaderless < 3) {
        return;
      }
      List<WatchStream> ending = new ArrayList<>();
      synchronized (lock) {
        for (WatchStream stream : streams) {
          if (stream.requiresLeader) {
            ending.add(stream);
          }
        }
      }
      for (WatchStream stream : ending) {
        close(stream);
        stream.fail(
            io.grpc.Status.UNAVAILABLE
                .withDescription("etcdserver: no leader")
                .asRuntimeException());
      }
    } catch (RuntimeException e) {
      log.warn("watch leader check failed", e);
    }
  }

  // ------------------------------------------------------------------ bookkeeping

  /** Holds {@link #lock}. */
  private void forget(Watcher watcher) {
    watcher.cancelled = true;
    synced.remove(watcher);
  }

  private static long freeId(WatchStream stream) {
    while (stream.watchers.containsKey(stream.nextId)) {
      stream.nextId++;
    }
    return stream.nextId++;
  }

  /** Ends every Watch call (UNAVAILABLE: clients watch again elsewhere) and stops the thread. */
  @Override
  public void close() {
    List<WatchStream> open;
    synchronized (lock) {
      open = new ArrayList<>(streams);
    }
    for (WatchStream stream : open) {
      close(stream);
      stream.fail(
          io.grpc.Status.UNAVAILABLE
              .withDescription("etcdserver: server stopped")
              .asRuntimeException());
    }
    thread.shutdownNow();
  }
}
