package dev.ballot.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.logging.Handler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

class JulBridgeTest {
  private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
  private final Logger grpc = context.getLogger("io.grpc");
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();
  private final java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
  private final List<Handler> julHandlers = List.of(julRoot.getHandlers());
  private final java.util.logging.Level julRootLevel = julRoot.getLevel();

  @BeforeEach
  void installBridge() {
    events.start();
    grpc.addAppender(events);
    JulBridge.install();
  }

  @AfterEach
  void restoreJul() {
    grpc.detachAppender(events);
    grpc.setLevel(null);
    SLF4JBridgeHandler.uninstall();
    julHandlers.forEach(julRoot::addHandler);
    julRoot.setLevel(julRootLevel);
  }

  @Test
  void aGrpcJulRecordReachesLogbackUnderItsOwnName() {
    java.util.logging.Logger.getLogger("io.grpc.internal.ManagedChannelImpl")
        .warning("channel for target 127.0.0.1:2380 was not shutdown properly");

    assertThat(events.list)
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.getLoggerName()).isEqualTo("io.grpc.internal.ManagedChannelImpl");
              assertThat(event.getLevel()).isEqualTo(Level.WARN);
              assertThat(event.getFormattedMessage()).contains("was not shutdown properly");
            });
    assertThat(julRoot.getHandlers()).singleElement().isInstanceOf(SLF4JBridgeHandler.class);
  }

  @Test
  void julLevelsFollowLogbackLevels() {
    LevelChangePropagator propagator = new LevelChangePropagator();
    propagator.setContext(context);
    propagator.start();
    context.addListener(propagator);
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger("io.grpc.netty");
    try {
      grpc.setLevel(Level.DEBUG);
      assertThat(jul.isLoggable(java.util.logging.Level.FINE)).isTrue();
      jul.fine("debug detail");

      grpc.setLevel(Level.ERROR);
      assertThat(jul.isLoggable(java.util.logging.Level.WARNING)).isFalse();
      jul.warning("dropped in JUL already");
    } finally {
      context.removeListener(propagator);
      java.util.logging.Logger.getLogger("io.grpc").setLevel(null);
    }

    assertThat(events.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly("debug detail");
  }
}
