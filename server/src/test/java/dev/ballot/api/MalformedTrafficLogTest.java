package dev.ballot.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ballot.logging.JulBridge;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** gRPC's records about malformed traffic stay out of the log once JUL goes through SLF4J. */
class MalformedTrafficLogTest {
  private static final String CONNECTIONS =
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections";

  private final Logger grpc = (Logger) LoggerFactory.getLogger("io.grpc");
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();
  private final java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
  private final List<Handler> julHandlers = List.of(julRoot.getHandlers());

  @BeforeEach
  void bridgeAndQuiet() {
    events.start();
    grpc.addAppender(events);
    JulBridge.install();
    MalformedTrafficLog.quiet();
  }

  @AfterEach
  void restoreJul() {
    grpc.detachAppender(events);
    SLF4JBridgeHandler.uninstall();
    julHandlers.forEach(julRoot::addHandler);
  }

  @Test
  void brokenConnectionWarningIsDroppedAndSevereIsKept() {
    java.util.logging.Logger connections = java.util.logging.Logger.getLogger(CONNECTIONS);

    connections.log(Level.WARNING, "Transport failed", new IllegalStateException("bad preface"));
    connections.log(Level.SEVERE, "something else broke");

    assertThat(events.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly("something else broke");
  }

  @Test
  void requestBodyThatDoesNotParseIsDropped() {
    java.util.logging.Logger executor =
        java.util.logging.Logger.getLogger(
            "io.grpc.internal.SerializeReentrantCallsDirectExecutor");

    executor.log(
        Level.SEVERE,
        "Exception while executing runnable",
        io.grpc.Status.INTERNAL.withDescription("bad body").asRuntimeException());
    executor.log(Level.SEVERE, "Exception while executing runnable", new NullPointerException());

    assertThat(events.list)
        .singleElement()
        .satisfies(
            e -> assertThat(e.getThrowableProxy().getClassName()).endsWith("NullPointerException"));
  }
}
