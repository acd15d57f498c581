package dev.ballot.it;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Small helpers over jetcd's raw etcd v3 stubs, so tests see exactly what the wire says. */
final class Etcd {
  static final Duration REQUEST_DEADLINE = Duration.ofSeconds(5);

  private Etcd() {}

  static ByteString bytes(String text) {
    return ByteString.copyFromUtf8(text);
  }

  /** The range end that selects every key starting with {@code prefix}, as etcdctl computes it. */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ByteString.copyFrom(new byte[] {0});
  }

  static KVGrpc.KVBlockingStub withDeadline(KVGrpc.KVBlockingStub kv, Duration deadline) {
    return kv.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  static PutResponse put(KVGrpc.KVBlockingStub kv, String key, String value) {
    return withDeadline(kv, REQUEST_DEADLINE)
        .put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build());
  }

  static RangeResponse get(KVGrpc.KVBlockingStub kv, String key, boolean serializable) {
    return withDeadline(kv, REQUEST_DEADLINE)
        .range(RangeRequest.newBuilder().setKey(bytes(key)).setSerializable(serializable).build());
  }

  static RangeResponse getPrefix(KVGrpc.KVBlockingStub kv, String prefix, boolean serializable) {
    return withDeadline(kv, REQUEST_DEADLINE)
        .range(
            RangeRequest.newBuilder()
                .setKey(bytes(prefix))
                .setRangeEnd(prefixEnd(bytes(prefix)))
                .setSerializable(serializable)
                .build());
  }

  /** Key to value, in key order, of every key under {@code prefix}. */
  static Map<String, String> prefixContents(
      KVGrpc.KVBlockingStub kv, String prefix, boolean serializable) {
    Map<String, String> contents = new LinkedHashMap<>();
    for (KeyValue kvPair : getPrefix(kv, prefix, serializable).getKvsList()) {
      contents.put(kvPair.getKey().toStringUtf8(), kvPair.getValue().toStringUtf8());
    }
    return contents;
  }

  /** The value of {@code key}, or null when it is absent. */
  static String value(KVGrpc.KVBlockingStub kv, String key, boolean serializable) {
    RangeResponse response = get(kv, key, serializable);
    return response.getKvsCount() == 0 ? null : response.getKvs(0).getValue().toStringUtf8();
  }
}
