package dev.ballot.api;

import dev.ballot.kv.KvException;
import dev.ballot.node.EtcdStatus;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a read of the store on the read pool, never on a driver or apply thread, and answers the
 * call with its result or its error; a full pool answers "too many requests". A read of one key
 * runs on the network thread that received it instead ({@link #answerHere}).
 */
final class PooledRead {
  private static final Logger log = LoggerFactory.getLogger(PooledRead.class);

  /** A local read of the store. */
  @FunctionalInterface
  interface StoreRead<T> {
    T run() throws KvException;
  }

  private PooledRead() {}

  /**
   * @param what names the read in the log if it fails unexpectedly
   */
  static <T> void answer(
      Executor pool, StreamObserver<T> response, String what, StoreRead<T> read) {
    try {
      pool.execute(() -> answerHere(response, what, read));
    } catch (RejectedExecutionException e) {
      response.onError(EtcdStatus.TOO_MANY_REQUESTS);
    }
  }

  /**
   * Runs {@code read} on the calling thread and answers: only for a read whose cost is bounded and
   * small (one key), where a hop to the pool would cost more than the read.
   */
  static <T> void answerHere(StreamObserver<T> response, String what, StoreRead<T> read) {
    T answer;
    try {
      answer = read.run();
    } catch (KvException e) {
      response.onError(e.toStatus().asRuntimeException());
      return;
    } catch (RuntimeException e) {
      log.error("{} failed", what, e);
      response.onError(EtcdStatus.INTERNAL);
      return;
    }
    try {
      response.onNext(answer);
      response.onCompleted();
    } catch (StatusRuntimeException e) {
      log.debug("{} answer not delivered status={}", what, e.getStatus()); // client left
    }
  }
}
