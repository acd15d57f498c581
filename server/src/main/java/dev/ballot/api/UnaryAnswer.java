package dev.ballot.api;

import dev.ballot.cluster.ClientStatus;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ends a unary call with its result, or with the client status of its error. */
final class UnaryAnswer {
  private static final Logger log = LoggerFactory.getLogger(UnaryAnswer.class);

  private UnaryAnswer() {}

  /**
   * Answers {@code response} with {@code toResponse} of {@code value}, or with {@code error}; a
   * client that left is logged at debug, naming the call by {@code what}.
   */
  static <A, T> void send(
      StreamObserver<T> response,
      A value,
      Throwable error,
      Function<A, T> toResponse,
      String what) {
    try {
      if (error == null) {
        response.onNext(toResponse.apply(value));
        response.onCompleted();
      } else {
        response.onError(ClientStatus.of(error));
      }
    } catch (StatusRuntimeException e) {
      log.debug("{} answer not delivered status={}", what, e.getStatus()); // client left
    }
  }
}
