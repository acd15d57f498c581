package dev.ballot.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/** A request the HTTP port refuses itself, before any gRPC call: its status and message. */
final class HttpError extends RuntimeException {
  private final HttpResponseStatus status;
  private final String code;

  HttpError(HttpResponseStatus status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static HttpError badRequest(String message) {
    return new HttpError(HttpResponseStatus.BAD_REQUEST, "INVALID_ARGUMENT", message);
  }

  static HttpError notFound(String message) {
    return new HttpError(HttpResponseStatus.NOT_FOUND, "NOT_FOUND", message);
  }

  HttpResponseStatus status() {
    return status;
  }

  String code() {
    return code;
  }
}
