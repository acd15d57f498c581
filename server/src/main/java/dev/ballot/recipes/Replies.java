package dev.ballot.recipes;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** Answers a unary call from a future: its value, or the status of the step that failed. */
final class Replies {
  private Replies() {}

  static <T> void send(CompletableFuture<T> result, StreamObserver<T> out) {
    result.whenComplete(
        (value, error) -> {
          if (error != null) {
            out.onError(RecipeErrors.statusOf(error).asRuntimeException());
          } else {
            out.onNext(value);
            out.onCompleted();
          }
        });
  }
}
