package dev.ballot.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/** One whole HTTP answer. */
record Reply(HttpResponseStatus status, String contentType, byte[] body) {
  static final String JSON = "application/json";
  static final String TEXT = "text/plain; charset=utf-8";

  static Reply json(HttpResponseStatus status, JsonNode body) {
    return new Reply(status, JSON, JsonCodec.bytes(body));
  }

  static Reply ok(JsonNode body) {
    return json(HttpResponseStatus.OK, body);
  }

  static Reply text(HttpResponseStatus status, String body) {
    return new Reply(status, TEXT, body.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code {"error": message, "code": grpcCodeName}} */
  static Reply error(HttpResponseStatus status, String code, String message) {
    return json(status, JsonCodec.object().put("error", message).put("code", code));
  }
}
