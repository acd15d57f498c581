package dev.ballot.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.kv.KeyRanges;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code /v1/kv/{key}} and {@code /v1/txn}: each request becomes the etcd request it means and goes
 * through the client port ({@link Loopback}); its answer comes back as JSON.
 */
final class KvRoutes {
  static final String KV_PREFIX = "/v1/kv/";

  private static final Set<String> GET_PARAMS =
      Set.of("prefix", "serializable", "rev", "limit", "keys_only", "count_only");
  private static final Set<String> PUT_PARAMS = Set.of("lease", "prev_kv");
  private static final Set<String> DELETE_PARAMS = Set.of("prefix", "prev_kv");

  /**
   * Memory that answers being turned into JSON may hold at once, estimated from their protobuf
   * size: a JSON tree and its bytes take several times that. One answer is always let through.
   */
  static final long MAX_RENDERING_BYTES = 96L << 20;

  private static final int JSON_BYTES_PER_PROTO_BYTE = 6;

  private final Loopback loopback;
  private final AtomicLong rendering = new AtomicLong();

  KvRoutes(Loopback loopback) {
    this.loopback = loopback;
  }

  /** Renders an answer within {@link #MAX_RENDERING_BYTES}, or refuses it (503, retry later). */
  Reply render(Message answer, Supplier<Reply> json) {
    long cost = (long) answer.getSerializedSize() * JSON_BYTES_PER_PROTO_BYTE + 4096;
    long now = rendering.addAndGet(cost);
    try {
      if (now > MAX_RENDERING_BYTES && now != cost) {
        throw new HttpError(
            HttpResponseStatus.SERVICE_UNAVAILABLE,
            "RESOURCE_EXHAUSTED",
            "too many large answers are being prepared on this node; retry, or ask for less");
      }
      return json.get();
    } finally {
      rendering.addAndGet(-cost);
    }
  }

  // ------------------------------------------------------------------------ /v1/kv/{key}

  CompletableFuture<Reply> get(
      String rawPath, Map<String, List<String>> params, boolean wantsText) {
    Params p = new Params(params, GET_PARAMS);
    ByteString key = key(rawPath);
    boolean prefix = p.flag("prefix");
    RangeRequest.Builder range = RangeRequest.newBuilder();
    keyRange(key, prefix, range::setKey, range::setRangeEnd);
    range
        .setSerializable(p.flag("serializable"))
        .setRevision(p.number("rev", 0))
        .setLimit(p.number("limit", 0))
        .setKeysOnly(p.flag("keys_only"))
        .setCountOnly(p.flag("count_only"));
    boolean keysOnly = p.flag("keys_only") || p.flag("count_only");
    return Loopback.call(loopback.kv()::range, range.build())
        .thenApply(
            r ->
                render(
                    r, () -> rangeReply(r, prefix, keysOnly, wantsText && !prefix && !keysOnly)));
  }

  private static Reply rangeReply(
      RangeResponse r, boolean prefix, boolean keysOnly, boolean rawValue) {
    if (!prefix && r.getKvsCount() == 0 && r.getCount() == 0) {
      return Reply.json(
          HttpResponseStatus.NOT_FOUND,
          JsonCodec.object()
              .put("error", "key not found")
              .put("code", "NOT_FOUND")
              .set("header", JsonCodec.header(r.getHeader())));
    }
    if (rawValue) {
      return new Reply(
          HttpResponseStatus.OK, "application/octet-stream", r.getKvs(0).getValue().toByteArray());
    }
    ObjectNode body = JsonCodec.object();
    body.set("header", JsonCodec.header(r.getHeader()));
    body.set("kvs", JsonCodec.kvs(r.getKvsList(), keysOnly));
    body.put("count", r.getCount());
    body.put("more", r.getMore());
    return Reply.ok(body);
  }

  CompletableFuture<Reply> put(
      String rawPath, Map<String, List<String>> params, String contentType, byte[] body) {
    Params p = new Params(params, PUT_PARAMS);
    PutRequest.Builder put = PutRequest.newBuilder().setKey(key(rawPath));
    put.setLease(p.number("lease", 0)).setPrevKv(p.flag("prev_kv"));
    if (isJson(contentType)) {
      JsonNode json = JsonCodec.parse(body);
      ByteString value = JsonCodec.bytesField(json, "value");
      if (value == null) {
        throw HttpError.badRequest("a JSON body needs value (or value_base64)");
      }
      put.setValue(value);
      if (json.has("lease")) {
        put.setLease(JsonCodec.longField(json, "lease", 0));
      }
      if (json.has("prev_kv")) {
        put.setPrevKv(JsonCodec.boolField(json, "prev_kv"));
      }
    } else {
      put.setValue(ByteString.copyFrom(body));
    }
    return Loopback.call(loopback.kv()::put, put.build()).thenApply(KvRoutes::putReply);
  }

  private static Reply putReply(PutResponse r) {
    ObjectNode body = JsonCodec.object();
    body.set("header", JsonCodec.header(r.getHeader()));
    if (r.hasPrevKv()) {
      body.set("prev_kv", JsonCodec.kv(r.getPrevKv()));
    }
    return Reply.ok(body);
  }

  CompletableFuture<Reply> delete(String rawPath, Map<String, List<String>> params) {
    Params p = new Params(params, DELETE_PARAMS);
    DeleteRangeRequest.Builder delete = DeleteRangeRequest.newBuilder();
    keyRange(key(rawPath), p.flag("prefix"), delete::setKey, delete::setRangeEnd);
    delete.setPrevKv(p.flag("prev_kv"));
    return Loopback.call(loopback.kv()::deleteRange, delete.build())
        .thenApply(r -> render(r, () -> deleteReply(r)));
  }

  private static Reply deleteReply(DeleteRangeResponse r) {
    ObjectNode body = JsonCodec.object();
    body.set("header", JsonCodec.header(r.getHeader()));
    body.put("deleted", r.getDeleted());
    if (r.getPrevKvsCount() > 0) {
      body.set("prev_kvs", JsonCodec.kvs(r.getPrevKvsList()));
    }
    return Reply.ok(body);
  }

  // ------------------------------------------------------------------------ /v1/txn

  /**
   *
   *
   * <pre>
   * {"compare": [{"key": "k", "target": "value", "result": "=", "value": "v"}, ...],
   *  "success": [{"put": {"key": "k", "value": "v2"}}, {"get": {"key": "k"}}, ...],
   *  "failure": [{"delete": {"key": "k", "prefix": true}}, ...]}
   * </pre>
   */
  CompletableFuture<Reply> txn(Map<String, List<String>> params, String contentType, byte[] body) {
    new Params(params, Set.of());
    if (!isJson(contentType)) {
      // Also what keeps a cross-site form (text/plain) from running a txn.
      throw new HttpError(
          HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
          "INVALID_ARGUMENT",
          "POST /v1/txn takes a JSON body: send Content-Type: application/json");
    }
    JsonNode json = JsonCodec.parse(body);
    for (var names = json.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!Set.of("compare", "success", "failure").contains(name)) {
        throw HttpError.badRequest("unknown field " + name + " (compare, success, failure)");
      }
    }
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (JsonNode c : array(json, "compare")) {
      txn.addCompare(compare(c));
    }
    for (JsonNode op : array(json, "success")) {
      txn.addSuccess(op(op));
    }
    for (JsonNode op : array(json, "failure")) {
      txn.addFailure(op(op));
    }
    TxnRequest request = txn.build();
    return Loopback.call(loopback.kv()::txn, request)
        .thenApply(r -> render(r, () -> txnReply(request, r)));
  }

  private static List<JsonNode> array(JsonNode json, String name) {
    JsonNode a = json.get(name);
    if (a == null || a.isNull()) {
      return List.of();
    }
    if (!a.isArray()) {
      throw HttpError.badRequest(name + " must be an array");
    }
    java.util.ArrayList<JsonNode> out = new java.util.ArrayList<>();
    a.forEach(out::add);
    return out;
  }

  private static Compare compare(JsonNode c) {
    if (!c.isObject()) {
      throw HttpError.badRequest("each compare must be an object");
    }
    ByteString key = JsonCodec.bytesField(c, "key");
    if (key == null) {
      throw HttpError.badRequest("a compare needs key (or key_base64)");
    }
    Compare.Builder b = Compare.newBuilder();
    keyRange(key, JsonCodec.boolField(c, "prefix"), b::setKey, b::setRangeEnd);
    String target = c.path("target").asText("value");
    String result = c.path("result").asText("=");
    b.setResult(
        switch (result) {
          case "=", "==" -> Compare.CompareResult.EQUAL;
          case "!=" -> Compare.CompareResult.NOT_EQUAL;
          case "<" -> Compare.CompareResult.LESS;
          case ">" -> Compare.CompareResult.GREATER;
          default ->
              throw HttpError.badRequest(
                  "compare result must be =, !=, < or >, not " + c.get("result"));
        });
    switch (target) {
      case "value" -> {
        ByteString value = JsonCodec.bytesField(c, "value");
        if (value == null) {
          throw HttpError.badRequest("a value compare needs value (or value_base64)");
        }
        b.setTarget(Compare.CompareTarget.VALUE).setValue(value);
      }
      case "version" -> b.setTarget(Compare.CompareTarget.VERSION).setVersion(number(c, "version"));
      case "create_revision", "create" ->
          b.setTarget(Compare.CompareTarget.CREATE).setCreateRevision(number(c, "create_revision"));
      case "mod_revision", "mod" ->
          b.setTarget(Compare.CompareTarget.MOD).setModRevision(number(c, "mod_revision"));
      case "lease" -> b.setTarget(Compare.CompareTarget.LEASE).setLease(number(c, "lease"));
      default ->
          throw HttpError.badRequest(
              "compare target must be value, version, create_revision, mod_revision or lease,"
                  + " not "
                  + c.get("target"));
    }
    return b.build();
  }

  private static long number(JsonNode c, String name) {
    if (!c.has(name)) {
      throw HttpError.badRequest("a " + c.path("target").asText() + " compare needs " + name);
    }
    return JsonCodec.longField(c, name, 0);
  }

  private static RequestOp op(JsonNode op) {
    if (!op.isObject() || op.size() != 1) {
      throw HttpError.badRequest(
          "each operation is an object with one of put, get or delete, not " + op);
    }
    String kind = op.fieldNames().next();
    JsonNode args = op.get(kind);
    if (!args.isObject()) {
      throw HttpError.badRequest(kind + " must be an object");
    }
    ByteString key = JsonCodec.bytesField(args, "key");
    if (key == null) {
      throw HttpError.badRequest(kind + " needs key (or key_base64)");
    }
    switch (kind) {
      case "put" -> {
        ByteString value = JsonCodec.bytesField(args, "value");
        if (value == null) {
          throw HttpError.badRequest("put needs value (or value_base64)");
        }
        return RequestOp.newBuilder()
            .setRequestPut(
                PutRequest.newBuilder()
                    .setKey(key)
                    .setValue(value)
                    .setLease(JsonCodec.longField(args, "lease", 0))
                    .setPrevKv(JsonCodec.boolField(args, "prev_kv")))
            .build();
      }
      case "get" -> {
        RangeRequest.Builder range = RangeRequest.newBuilder();
        keyRange(key, JsonCodec.boolField(args, "prefix"), range::setKey, range::setRangeEnd);
        range
            .setLimit(JsonCodec.longField(args, "limit", 0))
            .setRevision(JsonCodec.longField(args, "rev", 0))
            .setKeysOnly(JsonCodec.boolField(args, "keys_only"))
            .setCountOnly(JsonCodec.boolField(args, "count_only"));
        return RequestOp.newBuilder().setRequestRange(range).build();
      }
      case "delete" -> {
        DeleteRangeRequest.Builder delete = DeleteRangeRequest.newBuilder();
        keyRange(key, JsonCodec.boolField(args, "prefix"), delete::setKey, delete::setRangeEnd);
        delete.setPrevKv(JsonCodec.boolField(args, "prev_kv"));
        return RequestOp.newBuilder().setRequestDeleteRange(delete).build();
      }
      default -> throw HttpError.badRequest("unknown operation " + kind + " (put, get, delete)");
    }
  }

  private static Reply txnReply(TxnRequest request, TxnResponse r) {
    ObjectNode body = JsonCodec.object();
    body.set("header", JsonCodec.header(r.getHeader()));
    body.put("succeeded", r.getSucceeded());
    ArrayNode responses = body.putArray("responses");
    List<RequestOp> ran = r.getSucceeded() ? request.getSuccessList() : request.getFailureList();
    for (int i = 0; i < r.getResponsesCount(); i++) {
      ResponseOp op = r.getResponses(i);
      boolean keysOnly = i < ran.size() && ran.get(i).getRequestRange().getKeysOnly();
      ObjectNode one = JsonCodec.object();
      switch (op.getResponseCase()) {
        case RESPONSE_PUT -> {
          ObjectNode put = one.putObject("put");
          if (op.getResponsePut().hasPrevKv()) {
            put.set("prev_kv", JsonCodec.kv(op.getResponsePut().getPrevKv()));
          }
        }
        case RESPONSE_RANGE -> {
          ObjectNode get = one.putObject("get");
          get.set("kvs", JsonCodec.kvs(op.getResponseRange().getKvsList(), keysOnly));
          get.put("count", op.getResponseRange().getCount());
          get.put("more", op.getResponseRange().getMore());
        }
        case RESPONSE_DELETE_RANGE -> {
          ObjectNode delete = one.putObject("delete");
          delete.put("deleted", op.getResponseDeleteRange().getDeleted());
          if (op.getResponseDeleteRange().getPrevKvsCount() > 0) {
            delete.set("prev_kvs", JsonCodec.kvs(op.getResponseDeleteRange().getPrevKvsList()));
          }
        }
        default -> one.putObject("txn");
      }
      responses.add(one);
    }
    return Reply.ok(body);
  }

  // ------------------------------------------------------------------------ helpers

  /**
   * The key of {@code /v1/kv/{key}}: the rest of the path, percent-decoded to bytes (so any key can
   * be named: {@code %00}, {@code %FF}, {@code %2F} for a slash that is part of it).
   */
  static ByteString key(String rawPath) {
    String encoded = rawPath.substring(KV_PREFIX.length());
    ByteArrayOutputStream out = new ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        if (i + 2 >= encoded.length()) {
          throw HttpError.badRequest("bad percent-encoding in the key: " + encoded);
        }
        int hi = Character.digit(encoded.charAt(i + 1), 16);
        int lo = Character.digit(encoded.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw HttpError.badRequest("bad percent-encoding in the key: " + encoded);
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else if (c <= 0xff) {
        out.write(c); // the request line is read as ISO-8859-1: one char per byte sent
      } else {
        byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(utf8, 0, utf8.length);
      }
    }
    return ByteString.copyFrom(out.toByteArray());
  }

  /** A key, or with {@code prefix} every key that starts with it (all keys for ""). */
  private static void keyRange(
      ByteString key,
      boolean prefix,
      java.util.function.Consumer<ByteString> setKey,
      java.util.function.Consumer<ByteString> setEnd) {
    if (!prefix) {
      setKey.accept(key);
      return;
    }
    if (key.isEmpty()) {
      setKey.accept(ByteString.copyFrom(new byte[] {0}));
      setEnd.accept(ByteString.copyFrom(new byte[] {0}));
      return;
    }
    setKey.accept(key);
    setEnd.accept(KeyRanges.prefixEnd(key));
  }

  static boolean isJson(String contentType) {
    return contentType != null
        && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json");
  }

  /** The query parameters of one route: only the known ones, flags and numbers checked. */
  private static final class Params {
    private final Map<String, List<String>> params;

    Params(Map<String, List<String>> params, Set<String> allowed) {
      for (String name : params.keySet()) {
        if (!allowed.contains(name)) {
          throw HttpError.badRequest(
              "unknown query parameter "
                  + name
                  + (allowed.isEmpty()
                      ? ""
                      : " (" + String.join(", ", new java.util.TreeSet<>(allowed)) + ")"));
        }
      }
      this.params = params;
    }

    /**
     * {@code ?name}, {@code ?name=true} or {@code ?name=1} is set; {@code =false}/{@code =0} not.
     */
    boolean flag(String name) {
      List<String> v = params.get(name);
      if (v == null) {
        return false;
      }
      String s = v.get(v.size() - 1);
      return switch (s) {
        case "", "true", "1" -> true;
        case "false", "0" -> false;
        default -> throw HttpError.badRequest(name + " must be true or false, not " + s);
      };
    }

    long number(String name, long absent) {
      List<String> v = params.get(name);
      if (v == null) {
        return absent;
      }
      try {
        return Long.parseLong(v.get(v.size() - 1));
      } catch (NumberFormatException e) {
        throw HttpError.badRequest(name + " must be an integer, not " + v.get(v.size() - 1));
      }
    }
  }
}
