package dev.ballot.recipes;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** A unary call on an async stub as a future, started in a given gRPC context. */
final class Unary {
  private Unary() {}

  /**
   * Starts the call inside {@code context}, so it inherits the context's deadline and ends when the
   * context is cancelled (the recipe's caller went away).
   */
  static <T> CompletableFuture<T> call(Context context, Consumer<StreamObserver<T>> start) {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.run(
        () ->
            start.accept(
                new StreamObserver<>() {
                  private T value;

                  @Override
                  public void onNext(T next) {
                    value = next;
                  }

                  @Override
                  public void onError(Throwable t) {
                    result.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    result.complete(value);
                  }
                }));
    return result;
  }
}
