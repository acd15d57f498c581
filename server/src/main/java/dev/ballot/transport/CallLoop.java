package dev.ballot.transport;

import io.grpc.netty.shaded.io.netty.util.internal.ThreadExecutorMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The network thread a call arrived on, to answer the call there once its result is known.
 *
 * <p>The handlers of the client and peer ports run on the Netty event loop that owns the call's
 * connection (a direct executor). A result is usually known on another thread: the apply thread for
 * a write, the driver or apply thread for a linearizable read. Written from there, an answer makes
 * gRPC queue a flush of its connection on the loop, which often runs before the next answer comes.
 * Handed back to the loop instead, answers that arrive while it is busy share its flushes, and
 * encoding them leaves the apply thread, which every write goes through (docs/performance.md, item
 * 22, for what this did and did not measurably change).
 */
public final class CallLoop {
  private CallLoop() {}

  /**
   * The event loop running the calling thread, or null on any other thread (an in-process
   * transport, a test): callers then answer where the result completes, as before.
   */
  public static Executor current() {
    return ThreadExecutorMap.currentExecutor();
  }

  /** Runs {@code answer} on {@code loop}; at once if there is none or it no longer takes tasks. */
  public static void answerOn(Executor loop, Runnable answer) {
    if (loop == null) {
      answer.run();
      return;
    }
    try {
      loop.execute(answer);
    } catch (RejectedExecutionException e) {
      answer.run(); // the loop is shutting down with the node; the answer fails or is dropped
    }
  }
}
