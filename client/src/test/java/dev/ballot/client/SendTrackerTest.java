package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ClientStreamTracer.StreamInfo;
import io.grpc.Metadata;
import org.junit.jupiter.api.Test;

class SendTrackerTest {
  private static StreamInfo attempt(int previousAttempts, boolean transparentRetry) {
    return StreamInfo.newBuilder()
        .setCallOptions(CallOptions.DEFAULT)
        .setPreviousAttempts(previousAttempts)
        .setIsTransparentRetry(transparentRetry)
        .build();
  }

  @Test
  void aCallWithoutAFramedMessageWasNotSent() {
    SendTracker tracker = new SendTracker();
    assertThat(tracker.maybeSent()).isFalse();

    tracker.newClientStreamTracer(attempt(0, false), new Metadata());

    assertThat(tracker.maybeSent()).isFalse();
  }

  @Test
  void aFramedMessageMayHaveBeenSent() {
    SendTracker tracker = new SendTracker();
    tracker.newClientStreamTracer(attempt(0, false), new Metadata()).outboundMessage(0);

    assertThat(tracker.maybeSent()).isTrue();
  }

  @Test
  void aStreamRetriedTransparentlyWasNotProcessedSoOnlyTheRetryCounts() {
    SendTracker tracker = new SendTracker();
    tracker.newClientStreamTracer(attempt(0, false), new Metadata()).outboundMessage(0);

    ClientStreamTracer retry = tracker.newClientStreamTracer(attempt(0, true), new Metadata());
    assertThat(tracker.maybeSent()).as("refused stream, retry not framed yet").isFalse();

    retry.outboundMessage(0);
    assertThat(tracker.maybeSent()).isTrue();
  }

  @Test
  void aRetryThatIsNotTransparentKeepsWhatWasSentBefore() {
    SendTracker tracker = new SendTracker();
    tracker.newClientStreamTracer(attempt(0, false), new Metadata()).outboundMessage(0);

    tracker.newClientStreamTracer(attempt(1, false), new Metadata());

    assertThat(tracker.maybeSent()).isTrue();
  }
}
