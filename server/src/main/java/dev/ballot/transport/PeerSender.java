package dev.ballot.transport;

import dev.ballot.proto.raft.v1.RaftMessage;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import dev.ballot.proto.raft.v1.SendSummary;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outgoing half of one peer link: a long-lived {@code RaftPeer.Send} stream on its own channel.
 * Called only from the driver thread, and never blocks it: when the stream is down or its buffer is
 * full the message is dropped (Raft retransmits), so a slow or dead peer costs the others nothing.
 */
final class PeerSender {
  private static final Logger log = LoggerFactory.getLogger(PeerSender.class);
  private static final long RECONNECT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int MAX_SENT_BEFORE_READY = 16;
  private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

  /**
   * After a stream broke, a reconnect that fails within this long means the peer's process is gone.
   * A refused connect fails in well under a millisecond; a paused process or a network that drops
   * packets leaves the connect pending for longer, and is left to the election timeout.
   */
  static final long GONE_PROBE_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(300);

  private final long peerId;
  private final String address;
  private final ManagedChannel channel;
  private final LongSupplier nanoClock;
  private final Consumer<String> onRemoved;
  private final String selfPeerAddr;
  private final LongConsumer onGone;
  private final AtomicBoolean probing = new AtomicBoolean();

  /** The current stream; replaced when it has ended. Only the driver thread assigns it. */
  private StreamWatcher current;

  private long nextConnectNanos;
  private volatile long lastRefusalLogNanos = Long.MIN_VALUE;

  /** Whether the peer was last seen gone: logged once, until a probe finds it back. */
  private volatile boolean seenGone;

  PeerSender(
      long peerId,
      String address,
      ManagedChannel channel,
      LongSupplier nanoClock,
      Consumer<String> onRemoved,
      String selfPeerAddr,
      LongConsumer onGone) {
    this.selfPeerAddr = selfPeerAddr;
    this.onGone = onGone;
    this.peerId = peerId;
    this.address = address;
    this.channel = channel;
    this.nanoClock = nanoClock;
    this.onRemoved = onRemoved;
  }

  /** Returns false if the message was dropped. */
  boolean send(RaftMessage message) {
    StreamWatcher w = current;
    if (w == null || w.ended) {
      w = connect();
      if (w == null) {
        return false;
      }
    }
    // A new stream is not ready until its HTTP/2 stream starts; gRPC buffers what is sent
    // before that, so a few messages (the first vote, say) need not be lost to a reconnect.
    if (!w.requestStream.isReady()) {
      if (++w.sentBeforeReady > MAX_SENT_BEFORE_READY) {
        return false;
      }
    } else if (seenGone) {
      seenGone = false; // it is back
    }
    if (!w.introduced) {
      w.introduced = true;
      message = message.toBuilder().setSenderPeerAddr(selfPeerAddr).build();
    }
    try {
      w.requestStream.onNext(message);
      return true;
    } catch (RuntimeException e) {
      // The call was cancelled under us; the next send reconnects.
      log.debug("peer send failed peer={} addr={} error={}", peerId, address, e.toString());
      w.ended = true;
      return false;
    }
  }

  private StreamWatcher connect() {
    long now = nanoClock.getAsLong();
    if (current != null && now - nextConnectNanos < 0) {
      return null;
    }
    nextConnectNanos = now + RECONNECT_BACKOFF_NANOS;
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      // gRPC's own backoff grows to two minutes while a peer is cut off, and fails every call
      // meanwhile; this sender paces its reconnects itself, so a healed link is used at once.
      channel.resetConnectBackoff();
    }
    StreamWatcher watcher = new StreamWatcher();
    RaftPeerGrpc.newStub(channel).send(watcher);
    current = watcher;
    return watcher;
  }

  void close() {
    StreamWatcher w = current;
    if (w != null && !w.ended) {
      w.requestStream.cancel("node shutting down", null);
    }
    // The channel is the pool's: it closes it when the member leaves.
  }

  String address() {
    return address;
  }

  /**
   * The stream broke for lack of a connection: dial the peer once more at once and, if that is
   * refused within {@link #GONE_PROBE_WINDOW_NANOS}, tell {@code onGone} that its process is gone.
   * Runs on gRPC's threads and never blocks; one probe at a time.
   */
  private void probeWhetherGone() {
    if (!probing.compareAndSet(false, true)) {
      return;
    }
    long deadlineNanos = nanoClock.getAsLong() + GONE_PROBE_WINDOW_NANOS;
    channel.resetConnectBackoff();
    watchProbe(channel.getState(true), deadlineNanos);
  }

  private void watchProbe(ConnectivityState state, long deadlineNanos) {
    if (nanoClock.getAsLong() - deadlineNanos > 0) {
      probing.set(false); // too slow to tell a dead process from a paused one
      return;
    }
    switch (state) {
      case TRANSIENT_FAILURE -> {
        probing.set(false);
        if (!seenGone) {
          seenGone = true;
          log.info(
              "peer process gone peer={} addr={} (connection lost, reconnect refused)",
              peerId,
              address);
        }
        onGone.accept(peerId);
      }
      case READY -> {
        probing.set(false);
        seenGone = false;
      }
      case SHUTDOWN -> probing.set(false);
      case IDLE, CONNECTING ->
          channel.notifyWhenStateChanged(
              state, () -> watchProbe(channel.getState(true), deadlineNanos));
    }
  }

  /** Watches one stream; when it ends, the sender forgets it so the next send reconnects. */
  private final class StreamWatcher implements ClientResponseObserver<RaftMessage, SendSummary> {
    private ClientCallStreamObserver<RaftMessage> requestStream;
    private volatile boolean ended;
    private int sentBeforeReady;
    private boolean introduced;

    @Override
    public void beforeStart(ClientCallStreamObserver<RaftMessage> requestStream) {
      this.requestStream = requestStream;
    }

    @Override
    public void onNext(SendSummary value) {}

    @Override
    public void onError(Throwable t) {
      ended = true;
      Status status = Status.fromThrowable(t);
      if (status.getCode() == Status.Code.UNAVAILABLE) {
        probeWhetherGone();
      }
      String description = status.getDescription();
      if (status.getCode() == Status.Code.FAILED_PRECONDITION
          && description != null
          && description.startsWith(PeerDirectory.REMOVED_PREFIX)) {
        onRemoved.accept(
            "peer "
                + peerId
                + " says: "
                + description.substring(PeerDirectory.REMOVED_PREFIX.length()));
        return;
      }
      if (status.getCode() == Status.Code.FAILED_PRECONDITION) {
        long now = nanoClock.getAsLong();
        if (now - lastRefusalLogNanos > REFUSAL_LOG_INTERVAL_NANOS
            || lastRefusalLogNanos == Long.MIN_VALUE) {
          lastRefusalLogNanos = now;
          log.error(
              "peer refuses this node peer={} addr={} reason=\"{}\"",
              peerId,
              address,
              status.getDescription());
        }
      } else {
        log.debug("peer stream closed peer={} addr={} status={}", peerId, address, status);
      }
    }

    @Override
    public void onCompleted() {
      ended = true;
    }
  }
}
