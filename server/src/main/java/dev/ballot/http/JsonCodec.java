package dev.ballot.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.mvcc.KeyValue;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Keys and values in JSON: a key or value that is valid UTF-8 is a string ({@code "key"}), any
 * other is base64 ({@code "key_base64"}), as etcd's gateway writes bytes. Requests may give either.
 * Ids that may pass 2^53 (cluster id, lease id) are decimal strings, as etcd's gateway writes every
 * 64-bit number; revisions, indexes and member ids are numbers.
 */
final class JsonCodec {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonCodec() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** Puts {@code bytes} under {@code name}, or under {@code name_base64} if not UTF-8. */
  static void putBytes(ObjectNode node, String name, ByteString bytes) {
    String text = utf8OrNull(bytes);
    if (text != null) {
      node.put(name, text);
    } else {
      node.put(name + "_base64", Base64.getEncoder().encodeToString(bytes.toByteArray()));
    }
  }

  static String utf8OrNull(ByteString bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  static ObjectNode header(ResponseHeader h) {
    ObjectNode n = object();
    n.put("cluster_id", Long.toUnsignedString(h.getClusterId()));
    n.put("member_id", h.getMemberId());
    n.put("revision", h.getRevision());
    n.put("raft_term", h.getRaftTerm());
    return n;
  }

  static ObjectNode kv(KeyValue kv, boolean keysOnly) {
    ObjectNode n = object();
    putBytes(n, "key", kv.getKey());
    if (!keysOnly) {
      putBytes(n, "value", kv.getValue());
    }
    n.put("create_revision", kv.getCreateRevision());
    n.put("mod_revision", kv.getModRevision());
    n.put("version", kv.getVersion());
    n.put("lease", Long.toString(kv.getLease()));
    return n;
  }

  static ObjectNode kv(KeyValue kv) {
    return kv(kv, false);
  }

  static ArrayNode kvs(List<KeyValue> kvs, boolean keysOnly) {
    ArrayNode a = MAPPER.createArrayNode();
    kvs.forEach(kv -> a.add(kv(kv, keysOnly)));
    return a;
  }

  static ArrayNode kvs(List<KeyValue> kvs) {
    return kvs(kvs, false);
  }

  /**
   * The bytes given as {@code name} (a string) or {@code name_base64}; {@code null} if neither is
   * there.
   */
  static ByteString bytesField(JsonNode node, String name) {
    JsonNode text = node.get(name);
    JsonNode b64 = node.get(name + "_base64");
    if (text != null && b64 != null) {
      throw HttpError.badRequest("give " + name + " or " + name + "_base64, not both");
    }
    if (text != null) {
      if (!text.isTextual()) {
        throw HttpError.badRequest(name + " must be a string");
      }
      return ByteString.copyFromUtf8(text.asText());
    }
    if (b64 != null) {
      if (!b64.isTextual()) {
        throw HttpError.badRequest(name + "_base64 must be a string");
      }
      try {
        return ByteString.copyFrom(Base64.getDecoder().decode(b64.asText()));
      } catch (IllegalArgumentException e) {
        throw HttpError.badRequest(name + "_base64 is not base64: " + e.getMessage());
      }
    }
    return null;
  }

  static long longField(JsonNode node, String name, long absent) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return absent;
    }
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      return v.asLong();
    }
    if (v.isTextual()) {
      try {
        return Long.parseLong(v.asText());
      } catch (NumberFormatException e) {
        // below
      }
    }
    throw HttpError.badRequest(name + " must be an integer, not " + v);
  }

  static boolean boolField(JsonNode node, String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw HttpError.badRequest(name + " must be true or false, not " + v);
    }
    return v.asBoolean();
  }

  /** Parses a request body; a body that is not one JSON object is a 400 with the reason. */
  static JsonNode parse(byte[] body) {
    try {
      JsonNode node = MAPPER.readTree(body);
      if (node == null || !node.isObject()) {
        throw HttpError.badRequest("the body must be a JSON object");
      }
      return node;
    } catch (HttpError e) {
      throw e;
    } catch (java.io.IOException e) {
      String message = String.valueOf(e.getMessage());
      int cut = message.indexOf("\n at [Source");
      throw HttpError.badRequest(
          "invalid JSON: " + (cut >= 0 ? message.substring(0, cut) : message).strip());
    }
  }

  static byte[] bytes(JsonNode node) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      MAPPER.writeValue(out, node);
      out.write('\n');
      return out.toByteArray();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
