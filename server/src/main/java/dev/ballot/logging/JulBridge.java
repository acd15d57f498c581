package dev.ballot.logging;

import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Hands java.util.logging records (gRPC and its Netty log there) to SLF4J, so that they reach the
 * node's log in its format instead of JUL's two-line console output on stderr. Which records JUL
 * passes on at all follows Logback's levels (LevelChangePropagator in logback.xml), so a disabled
 * level costs no record.
 */
public final class JulBridge {
  private JulBridge() {}

  /** Replaces JUL's console handler with the bridge; idempotent. */
  public static synchronized void install() {
    if (SLF4JBridgeHandler.isInstalled()) {
      return;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
  }
}
