package dev.ballot.client;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Records whether a call's request message was ever handed to a transport stream. gRPC reports
 * {@code outboundMessage} when it starts framing the message for a real stream, before any byte can
 * reach the server; a call that fails without it provably did not reach any server.
 */
final class SendTracker extends ClientStreamTracer.Factory {
  private final AtomicBoolean maybeSent = new AtomicBoolean();

  @Override
  public ClientStreamTracer newClientStreamTracer(
      ClientStreamTracer.StreamInfo info, Metadata headers) {
    return new ClientStreamTracer() {
      @Override
      public void outboundMessage(int seqNo) {
        maybeSent.set(true);
      }
    };
  }

  /** Whether the request may have reached a server. */
  boolean maybeSent() {
    return maybeSent.get();
  }
}
