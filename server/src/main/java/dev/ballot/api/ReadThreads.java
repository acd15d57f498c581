package dev.ballot.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that read the store for clients. Reads often arrive in bursts (every read waiting for
 * one ReadIndex is released at once): a burst wakes at most one parked thread per task until none
 * is parked, instead of one wake-up per read as a {@link java.util.concurrent.ThreadPoolExecutor}
 * does. Bounded: beyond {@code capacity} waiting tasks, {@link #execute} refuses.
 */
final class ReadThreads implements Executor, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReadThreads.class);

  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final ConcurrentLinkedDeque<Thread> parked = new ConcurrentLinkedDeque<>();
  private final List<Thread> threads = new ArrayList<>();
  private final int capacity;
  private volatile boolean running = true;

  ReadThreads(String namePrefix, int threadCount, int capacity) {
    this.capacity = capacity;
    for (int i = 1; i <= threadCount; i++) {
      Thread t = new Thread(this::work, namePrefix + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  @Override
  public void execute(Runnable task) {
    if (!running) {
      throw new RejectedExecutionException("read threads are stopped");
    }
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      throw new RejectedExecutionException(capacity + " reads are waiting already");
    }
    tasks.add(task);
    Thread idle = parked.poll();
    if (idle != null) {
      LockSupport.unpark(idle);
    }
  }

  private void work() {
    Thread self = Thread.currentThread();
    while (running) {
      Runnable task = tasks.poll();
      if (task != null) {
        queued.decrementAndGet();
        run(task);
        continue;
      }
      parked.push(self);
      // A task added before the push found no parked thread to wake: look once more.
      if (tasks.isEmpty() && running) {
        LockSupport.park(this);
      }
      parked.remove(self);
    }
  }

  private static void run(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      log.error("read task failed", e);
    }
  }

  /** Stops the threads; tasks not started are dropped. */
  @Override
  public void close() {
    running = false;
    threads.forEach(LockSupport::unpark);
  }
}
