package dev.ballot.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the HTTP port reads keys from paths and bytes from JSON, and maps gRPC codes. */
class HttpCodecTest {
  @Test
  void aKeyIsTheRestOfThePathPercentDecodedToBytes() {
    assertThat(KvRoutes.key("/v1/kv/foo")).isEqualTo(ByteString.copyFromUtf8("foo"));
    assertThat(KvRoutes.key("/v1/kv/a/b%2Fc")).isEqualTo(ByteString.copyFromUtf8("a/b/c"));
    assertThat(KvRoutes.key("/v1/kv/%ff%00k"))
        .isEqualTo(ByteString.copyFrom(new byte[] {(byte) 0xff, 0, 'k'}));
    assertThat(KvRoutes.key("/v1/kv/caf%C3%A9")).isEqualTo(ByteString.copyFromUtf8("café"));
    // A client that sends UTF-8 unescaped: the request line is read one char per byte.
    String raw =
        new String("/v1/kv/café".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    assertThat(KvRoutes.key(raw)).isEqualTo(ByteString.copyFromUtf8("café"));
    assertThat(KvRoutes.key("/v1/kv/")).isEqualTo(ByteString.EMPTY);
  }

  @Test
  void aBadPercentEscapeIsA400() {
    for (String path : new String[] {"/v1/kv/a%", "/v1/kv/a%4", "/v1/kv/a%zz"}) {
      assertThatThrownBy(() -> KvRoutes.key(path))
          .as(path)
          .isInstanceOfSatisfying(
              HttpError.class,
              e -> assertThat(e.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST))
          .hasMessageContaining("bad percent-encoding");
    }
  }

  @Test
  void prefixEndIsEtcds() {
    assertThat(dev.ballot.kv.KeyRanges.prefixEnd(ByteString.copyFromUtf8("abc")))
        .isEqualTo(ByteString.copyFromUtf8("abd"));
    assertThat(
            dev.ballot.kv.KeyRanges.prefixEnd(ByteString.copyFrom(new byte[] {'a', (byte) 0xff})))
        .isEqualTo(ByteString.copyFromUtf8("b"));
    assertThat(dev.ballot.kv.KeyRanges.prefixEnd(ByteString.copyFrom(new byte[] {(byte) 0xff})))
        .isEqualTo(ByteString.copyFrom(new byte[] {0}));
  }

  @Test
  void utf8IsAStringAndAnythingElseBase64() {
    ObjectNode n = JsonCodec.object();
    JsonCodec.putBytes(n, "key", ByteString.copyFromUtf8("ключ"));
    JsonCodec.putBytes(n, "value", ByteString.copyFrom(new byte[] {(byte) 0xc3, 0x28}));
    assertThat(n.get("key").asText()).isEqualTo("ключ");
    assertThat(n.has("value")).isFalse();
    assertThat(n.get("value_base64").asText()).isEqualTo("wyg=");

    JsonNode back = JsonCodec.parse(JsonCodec.bytes(n));
    assertThat(JsonCodec.bytesField(back, "key")).isEqualTo(ByteString.copyFromUtf8("ключ"));
    assertThat(JsonCodec.bytesField(back, "value"))
        .isEqualTo(ByteString.copyFrom(new byte[] {(byte) 0xc3, 0x28}));
    assertThat(JsonCodec.bytesField(back, "absent")).isNull();
  }

  @Test
  void malformedJsonIsA400WithTheReasonAndNoSourceEcho() {
    assertThatThrownBy(() -> JsonCodec.parse("{\"key\": ".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(HttpError.class)
        .hasMessageStartingWith("invalid JSON: ")
        .hasMessageNotContaining("Source");
    assertThatThrownBy(() -> JsonCodec.parse("[1]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(HttpError.class)
        .hasMessage("the body must be a JSON object");
    JsonNode both = JsonCodec.parse("{\"k\":\"a\",\"k_base64\":\"YQ==\"}".getBytes());
    assertThatThrownBy(() -> JsonCodec.bytesField(both, "k")).hasMessageContaining("not both");
    JsonNode notBase64 = JsonCodec.parse("{\"k_base64\":\"%%\"}".getBytes());
    assertThatThrownBy(() -> JsonCodec.bytesField(notBase64, "k"))
        .hasMessageStartingWith("k_base64 is not base64");
    JsonNode number = JsonCodec.parse("{\"lease\":\"12\",\"bad\":1.5}".getBytes());
    assertThat(JsonCodec.longField(number, "lease", 0)).isEqualTo(12);
    assertThatThrownBy(() -> JsonCodec.longField(number, "bad", 0))
        .hasMessageStartingWith("bad must be an integer");
  }

  @Test
  void grpcCodesMapToHttpAsGrpcGatewayDoes() {
    assertThat(
            HttpHandler.httpStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided"))
        .isEqualTo(HttpResponseStatus.BAD_REQUEST);
    assertThat(
            HttpHandler.httpStatus(
                Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large"))
        .isEqualTo(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
    assertThat(HttpHandler.httpStatus(Status.Code.UNAVAILABLE, "etcdserver: no leader"))
        .isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
    assertThat(
            HttpHandler.httpStatus(Status.Code.RESOURCE_EXHAUSTED, "etcdserver: too many requests"))
        .isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
    assertThat(
            HttpHandler.httpStatus(Status.Code.NOT_FOUND, "etcdserver: requested lease not found"))
        .isEqualTo(HttpResponseStatus.NOT_FOUND);
    assertThat(HttpHandler.httpStatus(Status.Code.DEADLINE_EXCEEDED, "deadline"))
        .isEqualTo(HttpResponseStatus.GATEWAY_TIMEOUT);
    for (Status.Code code : Status.Code.values()) {
      assertThat(HttpHandler.httpStatus(code, "x")).as(code.name()).isNotNull();
    }
  }

  @Test
  void anUnexpectedFailureSaysInternalErrorAndNothingMore() {
    Routes.Request r = get("/v1/status");
    Reply reply = HttpHandler.failure(r, new IllegalStateException("secret internals"));
    String body = new String(reply.body(), StandardCharsets.UTF_8);
    assertThat(reply.status()).isEqualTo(HttpResponseStatus.INTERNAL_SERVER_ERROR);
    assertThat(body).contains("etcdserver: internal error").doesNotContain("secret", "Exception");
  }

  @Test
  void aFailureOfTheLoopbackCallItselfIsSaidInFixedWords() {
    Routes.Request r = get("/v1/kv/a");
    Reply tooBig =
        HttpHandler.failure(
            r,
            Status.RESOURCE_EXHAUSTED
                .withDescription("gRPC message exceeds maximum size 4194304: 5000000")
                .asRuntimeException());
    assertThat(tooBig.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
    assertThat(new String(tooBig.body(), StandardCharsets.UTF_8))
        .contains("the answer is larger than 4 MiB")
        .doesNotContain("4194304");
    Reply down =
        HttpHandler.failure(
            r,
            Status.UNAVAILABLE
                .withDescription("io exception: remote_addr=localhost/127.0.0.1:2379")
                .asRuntimeException());
    assertThat(down.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
    assertThat(new String(down.body(), StandardCharsets.UTF_8)).doesNotContain("remote_addr");
    Reply etcd =
        HttpHandler.failure(
            r, Status.UNAVAILABLE.withDescription("etcdserver: no leader").asRuntimeException());
    assertThat(new String(etcd.body(), StandardCharsets.UTF_8)).contains("etcdserver: no leader");
  }

  @Test
  void largeAnswersAreTurnedIntoJsonWithinABudgetButOneAlwaysPasses() {
    KvRoutes routes = new KvRoutes(null);
    dev.ballot.etcd.api.RangeResponse big =
        dev.ballot.etcd.api.RangeResponse.newBuilder()
            .addKvs(
                dev.ballot.etcd.mvcc.KeyValue.newBuilder()
                    .setKey(ByteString.copyFromUtf8("k"))
                    .setValue(
                        ByteString.copyFrom(new byte[(int) (KvRoutes.MAX_RENDERING_BYTES / 10)])))
            .build();
    Reply ok = Reply.text(HttpResponseStatus.OK, "done");
    // One alone passes however large; a second while the first is being rendered does not.
    Reply outer =
        routes.render(
            big,
            () -> {
              assertThatThrownBy(() -> routes.render(big, () -> ok))
                  .isInstanceOfSatisfying(
                      HttpError.class,
                      e ->
                          assertThat(e.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE));
              return ok;
            });
    assertThat(outer).isSameAs(ok);
    assertThat(routes.render(big, () -> ok)).as("the budget was given back").isSameAs(ok);
  }

  private static Routes.Request get(String path) {
    return new Routes.Request(
        io.netty.handler.codec.http.HttpMethod.GET,
        path,
        java.util.Map.of(),
        null,
        null,
        new byte[0]);
  }

  @Test
  void anEventIsOneFrame() {
    assertThat(EventStream.frame("write", JsonCodec.object().put("key", "a\nb")))
        .isEqualTo("event: write\ndata: {\"key\":\"a\\nb\"}\n\n");
  }
}
