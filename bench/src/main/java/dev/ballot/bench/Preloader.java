package dev.ballot.bench;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Writes every key of the key space once, so that the get workloads read keys that exist. */
public final class Preloader {
  private static final int IN_FLIGHT = 64;

  private Preloader() {}

  /** Whether the cluster already holds at least every key of the space (counted, not read). */
  public static boolean alreadyLoaded(ManagedChannel channel, KeySpace keys, Duration timeout) {
    long count =
        KVGrpc.newBlockingStub(channel)
            .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .range(
                RangeRequest.newBuilder()
                    .setKey(KeySpace.prefix())
                    .setRangeEnd(KeySpace.prefixEnd())
                    .setCountOnly(true)
                    .build())
            .getCount();
    return count >= keys.size();
  }

  /**
   * Puts every key with {@code value} through {@code channel}, {@value #IN_FLIGHT} at a time.
   *
   * @throws IllegalStateException with the first error if any put failed
   */
  public static void load(ManagedChannel channel, KeySpace keys, ByteString value, Duration timeout)
      throws InterruptedException {
    Semaphore slots = new Semaphore(IN_FLIGHT);
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    for (int i = 0; i < keys.size() && firstError.get() == null; i++) {
      slots.acquire();
      KVGrpc.newStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .put(
              PutRequest.newBuilder().setKey(keys.key(i)).setValue(value).build(),
              new StreamObserver<PutResponse>() {
                @Override
                public void onNext(PutResponse response) {}

                @Override
                public void onError(Throwable t) {
                  firstError.compareAndSet(null, t);
                  slots.release();
                }

                @Override
                public void onCompleted() {
                  slots.release();
                }
              });
    }
    slots.acquire(IN_FLIGHT);
    if (firstError.get() != null) {
      throw new IllegalStateException(
          "preloading the keys failed: "
              + StatusProbe.describe(io.grpc.Status.fromThrowable(firstError.get())),
          firstError.get());
    }
  }
}
