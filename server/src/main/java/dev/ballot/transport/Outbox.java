package dev.ballot.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Messages for one stream that any thread may add, sent together: everything added while a send is
 * due goes out in one call of the sink, so that one gRPC message carries many answers instead of
 * one each (docs/performance.md, item 27).
 *
 * <p>The send runs as one task on the event loop given with the first item after a send (the
 * network thread of the stream's connection); by the time it runs, the apply thread has usually
 * added the other answers of the same applied batch. Without a loop (another thread, an in-process
 * transport) it runs at once. Sends never overlap (a thread that calls {@link #send} itself, to end
 * the stream after it, may wait for one in progress), and each sends every item added before it
 * began.
 */
public final class Outbox<T> {
  private final Consumer<List<T>> sink;
  private final Queue<T> items = new ConcurrentLinkedQueue<>();

  /** A send is queued on a loop and has not begun. */
  private final AtomicBoolean due = new AtomicBoolean();

  /** Sends the items of one batch, in the order they were added; must not block. */
  public Outbox(Consumer<List<T>> sink) {
    this.sink = sink;
  }

  /**
   * Adds {@code item}; the send that takes it runs on {@code loop} (null: at once, on this thread)
   * unless one is already due.
   */
  public void add(T item, Executor loop) {
    items.add(item);
    if (due.compareAndSet(false, true)) {
      CallLoop.answerOn(loop, this::send);
    }
  }

  /**
   * Sends every item added so far, on this thread; the caller may then end the stream, knowing that
   * no item added before this call comes after the end.
   */
  public synchronized void send() {
    // Cleared before the items are taken: an item added from now on schedules a send of its own.
    due.set(false);
    T first = items.poll();
    if (first == null) {
      return;
    }
    List<T> batch = new ArrayList<>();
    batch.add(first);
    for (T item = items.poll(); item != null; item = items.poll()) {
      batch.add(item);
    }
    sink.accept(batch);
  }
}
