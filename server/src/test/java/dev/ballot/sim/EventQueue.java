package dev.ballot.sim;

import java.util.PriorityQueue;

/** Virtual time: events run in time order, ties in the order they were scheduled. */
final class EventQueue {
  private record Event(long timeMs, long seq, Runnable action) {}

  private final PriorityQueue<Event> events =
      new PriorityQueue<>(
          (a, b) ->
              a.timeMs != b.timeMs ? Long.compare(a.timeMs, b.timeMs) : Long.compare(a.seq, b.seq));
  private long nowMs;
  private long seq;

  long nowMs() {
    return nowMs;
  }

  long nowNanos() {
    return nowMs * 1_000_000L;
  }

  void at(long timeMs, Runnable action) {
    if (timeMs < nowMs) {
      throw new IllegalStateException("event at " + timeMs + " is in the past, now " + nowMs);
    }
    events.add(new Event(timeMs, seq++, action));
  }

  void after(long delayMs, Runnable action) {
    at(nowMs + delayMs, action);
  }

  boolean isEmpty() {
    return events.isEmpty();
  }

  long nextTimeMs() {
    return events.peek().timeMs;
  }

  /** Runs the next event, moving time to it. */
  void runNext() {
    Event e = events.poll();
    nowMs = e.timeMs;
    e.action.run();
  }
}
