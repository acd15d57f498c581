package dev.ballot.it;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import com.google.protobuf.UnknownFieldSet;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.DefragmentRequest;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DowngradeRequest;
import dev.ballot.etcd.api.HashKVRequest;
import dev.ballot.etcd.api.HashRequest;
import dev.ballot.etcd.api.MemberAddRequest;
import dev.ballot.etcd.api.MemberListRequest;
import dev.ballot.etcd.api.MemberPromoteRequest;
import dev.ballot.etcd.api.MemberRemoveRequest;
import dev.ballot.etcd.api.MemberUpdateRequest;
import dev.ballot.etcd.api.MoveLeaderRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.SnapshotRequest;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.TxnRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Generates etcd v3 requests from one seeded {@link Random}: valid ones, ones with random values in
 * every field (empty keys, "\0" and inverted range ends, sizes at and just over the 1.5 MiB request
 * limit, huge and negative numbers, unknown enum values, txns with up to and past 128 ops per
 * branch and nested 10 to 200 levels deep, unknown fields at any level), then often mutates the
 * serialized body (random tagged fields appended, truncation, flipped bytes, duplication, inserted
 * bytes) or replaces it with random bytes. The same seed gives the same sequence of calls.
 */
final class RequestFuzzer {
  /** etcd's default --max-request-bytes, and the gRPC limit Ballot sets 512 KiB above it. */
  static final int MAX_REQUEST_BYTES = 1536 * 1024;

  static final int MAX_GRPC_MESSAGE_BYTES = MAX_REQUEST_BYTES + 512 * 1024;
  static final int MAX_TXN_OPS = 128;
  static final int[] NESTING_DEPTHS = {10, 30, 50, 100, 200};

  /** Bounds the ops of one generated txn tree, so that one request stays cheap to build. */
  private static final int MAX_OPS_PER_REQUEST = 1_500;

  /** One request to send: where, what, and a line saying what it is. */
  record Call(RawCalls.Method method, byte[] body, String description) {}

  private final Random random;
  private final List<Long> memberIds;
  private int opsLeft;
  private int boundarySizedLeft;
  private int serial;

  RequestFuzzer(Random random, List<Long> memberIds) {
    this.random = random;
    this.memberIds = List.copyOf(memberIds);
  }

  Call next() {
    serial++;
    opsLeft = MAX_OPS_PER_REQUEST;
    boundarySizedLeft = 1;
    int pick = random.nextInt(100);
    RawCalls.Method method;
    Message request;
    if (pick < 18) {
      method = RawCalls.PUT;
      request = put();
    } else if (pick < 32) {
      method = RawCalls.RANGE;
      request = range();
    } else if (pick < 40) {
      method = RawCalls.DELETE_RANGE;
      request = delete();
    } else if (pick < 55) {
      method = RawCalls.TXN;
      request = txn(random.nextInt(4));
    } else if (pick < 62) {
      int depth =
          random.nextInt(4) == 0
              ? 1 + random.nextInt(250)
              : NESTING_DEPTHS[random.nextInt(NESTING_DEPTHS.length)];
      return mutate(RawCalls.TXN, deepTxn(depth).toByteArray(), "nested txn depth=" + depth);
    } else if (pick < 65) {
      method = RawCalls.COMPACT;
      request =
          CompactionRequest.newBuilder()
              .setRevision(anyLong())
              .setPhysical(random.nextBoolean())
              .build();
    } else if (pick < 75) {
      return maintenance();
    } else if (pick < 82) {
      return cluster();
    } else if (pick < 92) {
      RawCalls.Method target = RawCalls.ALL.get(random.nextInt(RawCalls.ALL.size()));
      int length = random.nextInt(20) == 0 ? random.nextInt(256 * 1024) : random.nextInt(300);
      return new Call(
          target, randomBytes(length).toByteArray(), "random body of " + length + " bytes");
    } else {
      method = RawCalls.ALL.get(random.nextInt(RawCalls.ALL.size()));
      request = randomRequestFor(method);
    }
    return mutate(method, request.toByteArray(), summary(request));
  }

  // ---- KV ------------------------------------------------------------------------------------

  private PutRequest put() {
    PutRequest.Builder put = PutRequest.newBuilder().setKey(key()).setValue(value());
    if (random.nextInt(8) == 0) {
      put.setLease(anyLong());
    }
    put.setPrevKv(random.nextBoolean());
    if (random.nextInt(8) == 0) {
      put.setIgnoreValue(true);
    }
    if (random.nextInt(8) == 0) {
      put.setIgnoreLease(true);
    }
    maybeUnknownFields(put);
    return put.build();
  }

  private RangeRequest range() {
    ByteString key = key();
    RangeRequest.Builder range = RangeRequest.newBuilder().setKey(key).setRangeEnd(rangeEnd(key));
    if (random.nextInt(3) == 0) {
      range.setLimit(anyLong());
    }
    if (random.nextInt(4) == 0) {
      range.setRevision(anyLong());
    }
    range.setSortOrderValue(enumValue(3));
    range.setSortTargetValue(enumValue(5));
    range.setSerializable(random.nextBoolean());
    range.setKeysOnly(random.nextInt(4) == 0);
    range.setCountOnly(random.nextInt(4) == 0);
    if (random.nextInt(4) == 0) {
      range
          .setMinModRevision(anyLong())
          .setMaxModRevision(anyLong())
          .setMinCreateRevision(anyLong())
          .setMaxCreateRevision(anyLong());
    }
    maybeUnknownFields(range);
    return range.build();
  }

  private DeleteRangeRequest delete() {
    ByteString key = key();
    DeleteRangeRequest.Builder delete =
        DeleteRangeRequest.newBuilder()
            .setKey(key)
            .setRangeEnd(rangeEnd(key))
            .setPrevKv(random.nextBoolean());
    maybeUnknownFields(delete);
    return delete.build();
  }

  private TxnRequest txn(int depthLeft) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    int compares = count();
    for (int i = 0; i < compares; i++) {
      txn.addCompare(compare());
    }
    int success = count();
    for (int i = 0; i < success; i++) {
      txn.addSuccess(op(depthLeft));
    }
    int failure = count();
    for (int i = 0; i < failure; i++) {
      txn.addFailure(op(depthLeft));
    }
    maybeUnknownFields(txn);
    return txn.build();
  }

  /** How many compares or ops: mostly few, sometimes at, just over or far over the limit. */
  private int count() {
    int wanted =
        switch (random.nextInt(20)) {
          case 0 -> MAX_TXN_OPS;
          case 1 -> MAX_TXN_OPS + 1;
          case 2 -> MAX_TXN_OPS - 1;
          case 3 -> 1_000;
          case 4, 5, 6, 7, 8, 9 -> 0;
          default -> 1 + random.nextInt(4);
        };
    int granted = Math.min(wanted, opsLeft);
    opsLeft -= granted;
    return granted;
  }

  private Compare compare() {
    ByteString key = key();
    Compare.Builder compare =
        Compare.newBuilder().setKey(key).setResultValue(enumValue(4)).setTargetValue(enumValue(5));
    // The union's member need not match the target.
    switch (random.nextInt(6)) {
      case 0 -> compare.setVersion(anyLong());
      case 1 -> compare.setCreateRevision(anyLong());
      case 2 -> compare.setModRevision(anyLong());
      case 3 -> compare.setValue(value());
      case 4 -> compare.setLease(anyLong());
      default -> {}
    }
    if (random.nextInt(4) == 0) {
      compare.setRangeEnd(rangeEnd(key));
    }
    maybeUnknownFields(compare);
    return compare.build();
  }

  private RequestOp op(int depthLeft) {
    RequestOp.Builder op = RequestOp.newBuilder();
    switch (random.nextInt(10)) {
      case 0, 1, 2 -> op.setRequestRange(range());
      case 3, 4, 5 -> op.setRequestPut(put());
      case 6, 7 -> op.setRequestDeleteRange(delete());
      case 8 -> {
        if (depthLeft > 0) {
          op.setRequestTxn(txn(depthLeft - 1));
        }
      }
      default -> {} // an empty op: none of the oneof set
    }
    maybeUnknownFields(op);
    return op.build();
  }

  /**
   * A chain of {@code depth} txns, each the only success op of the one above (sometimes with a put
   * of its own beside it), with a put at the bottom. Every compare list is empty, so every level
   * takes its success branch.
   */
  private TxnRequest deepTxn(int depth) {
    String base = "fuzz/deep/" + serial + "/";
    TxnRequest inner =
        TxnRequest.newBuilder()
            .addSuccess(
                RequestOp.newBuilder()
                    .setRequestPut(
                        PutRequest.newBuilder()
                            .setKey(ByteString.copyFromUtf8(base + "bottom"))
                            .setValue(ByteString.copyFromUtf8("depth " + depth))))
            .build();
    for (int level = depth - 1; level >= 1; level--) {
      TxnRequest.Builder outer =
          TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestTxn(inner));
      if (random.nextInt(4) == 0) {
        outer.addSuccess(
            RequestOp.newBuilder()
                .setRequestPut(
                    PutRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8(base + level))
                        .setValue(ByteString.copyFromUtf8("level " + level))));
      }
      inner = outer.build();
    }
    return inner;
  }

  // ---- Maintenance and Cluster ---------------------------------------------------------------

  private Call maintenance() {
    RawCalls.Method method;
    Message request;
    switch (random.nextInt(20)) {
      case 0, 1, 2 -> {
        method = RawCalls.STATUS;
        request = StatusRequest.getDefaultInstance();
      }
      case 3, 4, 5, 6 -> {
        method = RawCalls.HASH_KV;
        request = HashKVRequest.newBuilder().setRevision(anyLong()).build();
      }
      case 7 -> {
        method = RawCalls.HASH;
        request = HashRequest.getDefaultInstance();
      }
      case 8, 9, 10 -> {
        method = RawCalls.ALARM;
        request =
            AlarmRequest.newBuilder()
                .setActionValue(enumValue(3))
                .setMemberID(anyLong())
                .setAlarmValue(enumValue(3))
                .build();
      }
      case 11, 12 -> {
        method = RawCalls.DEFRAGMENT;
        request = DefragmentRequest.getDefaultInstance();
      }
      case 13 -> {
        // Leadership moves now and then; mostly a target that is no member.
        method = RawCalls.MOVE_LEADER;
        long target =
            random.nextInt(4) == 0 ? memberIds.get(random.nextInt(memberIds.size())) : anyLong();
        request = MoveLeaderRequest.newBuilder().setTargetID(target).build();
      }
      case 14 -> {
        method = RawCalls.SNAPSHOT_AS_UNARY;
        request = SnapshotRequest.getDefaultInstance();
      }
      default -> {
        method = RawCalls.DOWNGRADE;
        request =
            DowngradeRequest.newBuilder()
                .setActionValue(enumValue(3))
                .setVersion(randomText(random.nextInt(12)))
                .build();
      }
    }
    return mutate(method, request.toByteArray(), summary(request));
  }

  private Call cluster() {
    RawCalls.Method method;
    Message request;
    switch (random.nextInt(5)) {
      case 0 -> {
        method = RawCalls.MEMBER_LIST;
        request = MemberListRequest.newBuilder().setLinearizable(random.nextBoolean()).build();
      }
      case 1 -> {
        method = RawCalls.MEMBER_ADD;
        request =
            MemberAddRequest.newBuilder()
                .addPeerURLs(url())
                .addPeerURLs(url())
                .setIsLearner(random.nextBoolean())
                .build();
      }
      case 2 -> {
        method = RawCalls.MEMBER_REMOVE;
        request = MemberRemoveRequest.newBuilder().setID(anyLong()).build();
      }
      case 3 -> {
        method = RawCalls.MEMBER_UPDATE;
        request = MemberUpdateRequest.newBuilder().setID(anyLong()).addPeerURLs(url()).build();
      }
      default -> {
        method = RawCalls.MEMBER_PROMOTE;
        long id =
            random.nextBoolean() ? memberIds.get(random.nextInt(memberIds.size())) : anyLong();
        request = MemberPromoteRequest.newBuilder().setID(id).build();
      }
    }
    return mutate(method, request.toByteArray(), summary(request));
  }

  private Message randomRequestFor(RawCalls.Method method) {
    if (method == RawCalls.PUT) {
      return put();
    }
    if (method == RawCalls.RANGE) {
      return range();
    }
    if (method == RawCalls.DELETE_RANGE) {
      return delete();
    }
    if (method == RawCalls.TXN) {
      return txn(2);
    }
    // Other methods: a message of another type, read as this one.
    return random.nextBoolean() ? put() : txn(1);
  }

  // ---- values --------------------------------------------------------------------------------

  private ByteString key() {
    return switch (random.nextInt(16)) {
      case 0 -> ByteString.EMPTY;
      case 1 -> ByteString.copyFrom(new byte[] {0});
      case 2 -> ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff});
      case 3, 4 -> randomBytes(1 + random.nextInt(64));
      case 5 -> random.nextInt(10) == 0 ? randomBytes(boundarySize()) : randomBytes(200);
      default -> ByteString.copyFromUtf8("fuzz/" + random.nextInt(64));
    };
  }

  private ByteString value() {
    return switch (random.nextInt(12)) {
      case 0 -> ByteString.EMPTY;
      case 1 -> random.nextInt(6) == 0 ? randomBytes(boundarySize()) : randomBytes(4_096);
      default -> randomBytes(random.nextInt(40));
    };
  }

  /**
   * Sizes around the request limit and the gRPC message limit; one such field per request at most
   * (a small size after that), so that a 1,000-op txn does not grow to gigabytes.
   */
  private int boundarySize() {
    if (boundarySizedLeft == 0) {
      return random.nextInt(64);
    }
    boundarySizedLeft--;
    return switch (random.nextInt(4)) {
      case 0 -> MAX_REQUEST_BYTES - 64 + random.nextInt(64);
      case 1 -> MAX_REQUEST_BYTES + random.nextInt(64);
      case 2 -> MAX_GRPC_MESSAGE_BYTES - 32 + random.nextInt(64);
      default -> MAX_REQUEST_BYTES - 16 * 1024 + random.nextInt(32 * 1024);
    };
  }

  private ByteString rangeEnd(ByteString key) {
    return switch (random.nextInt(8)) {
      case 0, 1 -> ByteString.EMPTY;
      case 2 -> ByteString.copyFrom(new byte[] {0});
      case 3 -> key.isEmpty() ? ByteString.EMPTY : Etcd.prefixEnd(key);
      case 4 -> key; // empty interval
      case 5 -> key.isEmpty() ? randomBytes(3) : key.substring(0, key.size() - 1); // inverted
      case 6 -> ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
      default -> randomBytes(1 + random.nextInt(8));
    };
  }

  private long anyLong() {
    return switch (random.nextInt(10)) {
      case 0 -> 0;
      case 1 -> -1;
      case 2 -> Long.MIN_VALUE;
      case 3 -> Long.MAX_VALUE;
      case 4 -> Integer.MAX_VALUE + 1L;
      case 5 -> random.nextLong();
      default -> random.nextInt(1_000);
    };
  }

  /** A value of an enum with {@code known} values, sometimes one it does not have. */
  private int enumValue(int known) {
    return switch (random.nextInt(10)) {
      case 0 -> -1;
      case 1 -> known + random.nextInt(100);
      default -> random.nextInt(known);
    };
  }

  private String url() {
    return switch (random.nextInt(4)) {
      case 0 -> "http://127.0.0.1:" + random.nextInt(70_000);
      case 1 -> "";
      case 2 -> randomText(random.nextInt(40));
      default -> "http://" + randomText(10) + ":" + (random.nextInt(3) - 1);
    };
  }

  private String randomText(int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append(
          (char) (random.nextInt(4) == 0 ? random.nextInt(0x3000) : 32 + random.nextInt(95)));
    }
    return text.toString();
  }

  private ByteString randomBytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return ByteString.copyFrom(bytes);
  }

  private void maybeUnknownFields(Message.Builder message) {
    if (random.nextInt(20) != 0) {
      return;
    }
    UnknownFieldSet.Builder unknown = UnknownFieldSet.newBuilder();
    int fields = 1 + random.nextInt(3);
    for (int i = 0; i < fields; i++) {
      int number = 100 + random.nextInt(random.nextBoolean() ? 1_000 : (1 << 29) - 101);
      UnknownFieldSet.Field.Builder field = UnknownFieldSet.Field.newBuilder();
      switch (random.nextInt(4)) {
        case 0 -> field.addVarint(random.nextLong());
        case 1 -> field.addFixed32(random.nextInt());
        case 2 -> field.addFixed64(random.nextLong());
        default -> field.addLengthDelimited(randomBytes(random.nextInt(32)));
      }
      unknown.mergeField(number, field.build());
    }
    message.setUnknownFields(unknown.build());
  }

  // ---- mutations of the serialized body ------------------------------------------------------

  private Call mutate(RawCalls.Method method, byte[] body, String summary) {
    int pick = random.nextInt(100);
    String mutation;
    byte[] mutated;
    if (pick < 55) {
      mutation = "";
      mutated = body;
    } else if (pick < 72) {
      mutation = " +tagged fields";
      mutated = appendTaggedFields(body);
    } else if (pick < 80 && body.length > 0) {
      int cut = random.nextInt(body.length);
      mutation = " truncated to " + cut;
      mutated = Arrays.copyOf(body, cut);
    } else if (pick < 88 && body.length > 0) {
      mutated = body.clone();
      int flips = 1 + random.nextInt(8);
      for (int i = 0; i < flips; i++) {
        mutated[random.nextInt(mutated.length)] ^= (byte) (1 + random.nextInt(255));
      }
      mutation = " " + flips + " bytes flipped";
    } else if (pick < 94) {
      mutated = new byte[2 * body.length];
      System.arraycopy(body, 0, mutated, 0, body.length);
      System.arraycopy(body, 0, mutated, body.length, body.length);
      mutation = " twice";
    } else {
      int at = body.length == 0 ? 0 : random.nextInt(body.length);
      byte[] inserted = randomBytes(1 + random.nextInt(16)).toByteArray();
      mutated = new byte[body.length + inserted.length];
      System.arraycopy(body, 0, mutated, 0, at);
      System.arraycopy(inserted, 0, mutated, at, inserted.length);
      System.arraycopy(body, at, mutated, at + inserted.length, body.length - at);
      mutation = " " + inserted.length + " bytes inserted at " + at;
    }
    return new Call(method, mutated, summary + mutation + " (" + mutated.length + " bytes)");
  }

  /**
   * Appends 1-5 fields with random numbers (known ones too, so a known field may come again or with
   * another wire type) and random wire types, invalid ones included.
   */
  private byte[] appendTaggedFields(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(body);
    CodedOutputStream coded = CodedOutputStream.newInstance(out);
    try {
      int fields = 1 + random.nextInt(5);
      for (int i = 0; i < fields; i++) {
        int number =
            random.nextBoolean() ? 1 + random.nextInt(16) : 1 + random.nextInt((1 << 29) - 1);
        int wireType = random.nextInt(8);
        coded.writeUInt32NoTag((number << 3) | wireType);
        switch (wireType) {
          case 0 -> coded.writeUInt64NoTag(random.nextLong());
          case 1 -> coded.writeFixed64NoTag(random.nextLong());
          case 2 -> coded.writeBytesNoTag(randomBytes(random.nextInt(24)));
          case 3 -> {
            if (random.nextBoolean()) {
              coded.writeUInt32NoTag((number << 3) | 4); // the group ends at once
            }
          }
          case 5 -> coded.writeFixed32NoTag(random.nextInt());
          default -> {} // 4: an end-group with no start; 6, 7: no such wire type
        }
      }
      coded.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The request in one line, cut short, so a log of calls stays readable. */
  private static String summary(Message request) {
    String name = request.getClass().getSimpleName();
    int size = request.getSerializedSize();
    if (size > 2_048) {
      return name + " of " + size + " bytes";
    }
    String text = TextFormat.shortDebugString(request);
    return name + " " + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
  }
}
