package dev.ballot.client;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Records whether a call's request message was ever handed to a transport stream. gRPC reports
 * {@code outboundMessage} when it starts framing the message for a real stream, before any byte can
 * reach the server; a call that fails without it provably did not reach any server.
 *
 * <p>gRPC itself sends a call again on a new stream (a <em>transparent retry</em>) only when the
 * first stream provably was not processed: the server refused it ({@code REFUSED_STREAM}, or a
 * {@code GOAWAY} whose last stream id is below it, as a server that shuts down gracefully sends),
 * or it never reached a transport. So only the latest stream counts: a message framed on a stream
 * that was then retried transparently did not reach the server's application.
 */
final class SendTracker extends ClientStreamTracer.Factory {
  /** Whether the message was framed on the call's latest stream. */
  private final AtomicReference<AtomicBoolean> latestStreamSent =
      new AtomicReference<>(new AtomicBoolean());

  @Override
  public ClientStreamTracer newClientStreamTracer(
      ClientStreamTracer.StreamInfo info, Metadata headers) {
    // A retry that is not transparent (none is configured) would not clear what was sent before.
    AtomicBoolean sent =
        new AtomicBoolean(!info.isTransparentRetry() && latestStreamSent.get().get());
    latestStreamSent.set(sent);
    return new ClientStreamTracer() {
      @Override
      public void outboundMessage(int seqNo) {
        sent.set(true);
      }
    };
  }

  /** Whether the request may have reached a server. */
  boolean maybeSent() {
    return latestStreamSent.get().get();
  }
}
