package dev.ballot.transport;

import io.grpc.stub.StreamObserver;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StreamObserver} that any thread may call, never blocking: gRPC's observers are not
 * thread-safe, so calls are queued and passed on in order by whichever caller finds nobody else
 * passing them on (no lock, no thread of its own). Once the stream ended (by {@code onError},
 * {@code onCompleted}, or because the observer threw, e.g. the call was cancelled), later calls are
 * dropped.
 */
public final class SerialObserver<T> implements StreamObserver<T> {
  private static final Logger log = LoggerFactory.getLogger(SerialObserver.class);

  /** The end of the stream in the queue: an error, or none for a normal end. */
  private record End(Throwable error) {}

  private final StreamObserver<T> delegate;
  private final Queue<Object> queue = new ConcurrentLinkedQueue<>();

  /** Calls queued and not yet drained; the caller that raises it from 0 drains. */
  private final AtomicInteger queuedCalls = new AtomicInteger();

  /** Only the draining thread reads or writes it (the counter orders the drainers). */
  private boolean ended;

  public SerialObserver(StreamObserver<T> delegate) {
    this.delegate = delegate;
  }

  @Override
  public void onNext(T value) {
    queue.add(value);
    drain();
  }

  @Override
  public void onError(Throwable error) {
    queue.add(new End(error));
    drain();
  }

  @Override
  public void onCompleted() {
    queue.add(new End(null));
    drain();
  }

  private void drain() {
    if (queuedCalls.getAndIncrement() != 0) {
      return; // the thread draining now passes it on
    }
    int missed = 1;
    do {
      for (Object item = queue.poll(); item != null; item = queue.poll()) {
        deliver(item);
      }
      missed = queuedCalls.addAndGet(-missed);
    } while (missed != 0);
  }

  @SuppressWarnings("unchecked")
  private void deliver(Object item) {
    if (ended) {
      return;
    }
    try {
      if (item instanceof End end) {
        ended = true;
        if (end.error() == null) {
          delegate.onCompleted();
        } else {
          delegate.onError(end.error());
        }
      } else {
        delegate.onNext((T) item);
      }
    } catch (RuntimeException e) { // the call is over (cancelled by the other side)
      ended = true;
      log.debug("stream ended under its sender error={}", e.toString());
    }
  }
}
