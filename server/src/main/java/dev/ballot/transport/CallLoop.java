package dev.ballot.transport;

import io.grpc.netty.shaded.io.netty.util.internal.ThreadExecutorMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The network thread a call arrived on, to answer the call there once its result is known.
 *
 * <p>The handlers of the client and peer ports run on the Netty event loop that owns the call's
 * connection (a direct executor). A result is usually known on another thread: the apply thread for
 * a write, the driver or apply thread for a linearizable read. Written from there, every answer
 * makes gRPC schedule a flush of its connection of its own, often one system call per answer.
 * Handed back to the event loop instead, the answers released together (the writes of one applied
 * batch, the reads of one ReadIndex round) run in one turn of the loop, and gRPC flushes each
 * connection once after them; encoding the answers also leaves the apply thread, which every write
 * goes through.
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
