package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Malformed and oversized requests get etcd's error, write nothing, and leave every node serving.
 * Each request goes to every node, followers included. The codes and messages are those a real etcd
 * 3.4 answers (checked with {@code -Dballot.it.server=etcd}), except where noted.
 */
class BadInputTest {
  /** etcd's default --max-request-bytes. */
  private static final int MAX_REQUEST_BYTES = 1536 * 1024;

  private static final int MAX_TXN_OPS = 128;
  private static final int GARBAGE_BYTES = 64 * 1024;
  private static final int GARBAGE_ANSWER_TIMEOUT_MS = 10_000;

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;
  private long revisionBefore;

  @BeforeAll
  static void startCluster() {
    cluster = clusters.start(3);
  }

  @BeforeEach
  void recordRevision() {
    revisionBefore = revision();
  }

  @Test
  void valueOverTheRequestLimitIsRejectedAsTooLarge() {
    ByteString value = ByteString.copyFrom(new byte[MAX_REQUEST_BYTES + 1024]);
    assertRejectedOnEveryNode(
        kv -> kv.put(PutRequest.newBuilder().setKey(Etcd.bytes("big")).setValue(value).build()),
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: request is too large");
    assertNothingWrittenAndServing();
  }

  @Test
  void keyOverTheRequestLimitIsRejectedAsTooLarge() {
    ByteString key =
        ByteString.copyFrom(new byte[MAX_REQUEST_BYTES + 1024]).concat(Etcd.bytes("k"));
    assertRejectedOnEveryNode(
        kv -> kv.put(PutRequest.newBuilder().setKey(key).setValue(Etcd.bytes("v")).build()),
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: request is too large");
    assertNothingWrittenAndServing();
  }

  @Test
  void requestFarOverTheLimitIsRejected() {
    // etcd's gRPC server refuses messages over max-request-bytes + 512 KiB before any handler
    // runs (RESOURCE_EXHAUSTED); a server whose transport allows more answers as for any large
    // request. Either way: a definite error, nothing written.
    ByteString value = ByteString.copyFrom(new byte[3 * 1024 * 1024]);
    for (int node = 0; node < cluster.size(); node++) {
      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              putTo(node, PutRequest.newBuilder().setKey(Etcd.bytes("huge")).setValue(value)));
      assertThat(e).as("a 3 MiB put on node %d", node).isNotNull();
      assertThat(e.getStatus().getCode())
          .isIn(Status.Code.RESOURCE_EXHAUSTED, Status.Code.INVALID_ARGUMENT);
    }
    assertNothingWrittenAndServing();
  }

  @Test
  void txnWithMoreThan128OperationsIsRejected() {
    TxnRequest tooMany = txnOfPuts("ops/", MAX_TXN_OPS + 1);
    assertRejectedOnEveryNode(
        kv -> kv.txn(tooMany),
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: too many operations in txn request");
    assertNothingWrittenAndServing();

    TxnResponse atTheLimit =
        Etcd.withDeadline(cluster.kv(0), Etcd.REQUEST_DEADLINE).txn(txnOfPuts("ops/", MAX_TXN_OPS));
    assertThat(atTheLimit.getSucceeded()).isTrue();
    assertThat(atTheLimit.getResponsesCount()).isEqualTo(MAX_TXN_OPS);
    assertThat(atTheLimit.getHeader().getRevision()).isEqualTo(revisionBefore + 1);
  }

  @Test
  void emptyKeyIsRejected() {
    assertRejectedOnEveryNode(
        kv -> kv.put(PutRequest.newBuilder().setValue(Etcd.bytes("v")).build()),
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: key is not provided");
    assertNothingWrittenAndServing();
  }

  @Test
  void invertedRangeIsRejected() {
    RangeRequest inverted =
        RangeRequest.newBuilder().setKey(Etcd.bytes("zzz")).setRangeEnd(Etcd.bytes("aaa")).build();
    if (cluster.flavor() == ServerFlavor.ETCD) {
      // etcd 3.4 answers an inverted range with an empty result; Ballot's contract rejects it.
      RangeResponse response =
          Etcd.withDeadline(cluster.kv(0), Etcd.REQUEST_DEADLINE).range(inverted);
      assertThat(response.getKvsCount()).isZero();
    } else {
      for (int node = 0; node < cluster.size(); node++) {
        KVGrpc.KVBlockingStub kv = Etcd.withDeadline(cluster.kv(node), Etcd.REQUEST_DEADLINE);
        StatusRuntimeException e =
            catchThrowableOfType(StatusRuntimeException.class, () -> kv.range(inverted));
        assertThat(e).as("an inverted range on node %d", node).isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      }
    }

    // A range end of "\0" means "every key from key on": not inverted.
    Etcd.put(cluster.kv(0), "zzz-tail", "t");
    revisionBefore = revision();
    RangeResponse fromKeyOn =
        Etcd.withDeadline(cluster.kv(0), Etcd.REQUEST_DEADLINE)
            .range(
                RangeRequest.newBuilder()
                    .setKey(Etcd.bytes("zzz"))
                    .setRangeEnd(ByteString.copyFrom(new byte[] {0}))
                    .build());
    assertThat(fromKeyOn.getKvsList())
        .extracting(kv -> kv.getKey().toStringUtf8())
        .contains("zzz-tail");
    assertNothingWrittenAndServing();
  }

  /**
   * The request that once stopped every node for good: it committed, then no node could apply it.
   */
  @Test
  void deeplyNestedTxnIsRejectedBeforeProposingAndEveryNodeStaysUp() {
    if (cluster.flavor() == ServerFlavor.ETCD) {
      // etcd bounds nesting only through --max-txn-ops; 50 levels of one op each are accepted.
      Etcd.withDeadline(cluster.kv(0), Etcd.REQUEST_DEADLINE).txn(nestedTxn(50, "deep-etcd"));
      return;
    }
    for (int levels : new int[] {33, 50}) {
      assertRejectedOnEveryNode(
          kv -> kv.txn(nestedTxn(levels, "deep-" + levels)),
          Status.Code.INVALID_ARGUMENT,
          "etcdserver: txn request is nested too deeply");
    }
    assertNothingWrittenAndServing();

    // The deepest accepted txn commits and applies on every node, through a follower too.
    for (int node = 0; node < cluster.size(); node++) {
      String key = "deep-32-via-" + node;
      TxnResponse response =
          Etcd.withDeadline(cluster.kv(node), Etcd.REQUEST_DEADLINE).txn(nestedTxn(32, key));
      assertThat(response.getSucceeded()).isTrue();
      for (int reader = 0; reader < cluster.size(); reader++) {
        assertThat(Etcd.get(cluster.kv(reader), key, false).getKvsCount())
            .as("%s read on node %d", key, reader)
            .isEqualTo(1);
      }
    }
    cluster.failOnUnexpectedExit();
  }

  /** A txn nested {@code levels} deep (the outermost counts), with a put at the bottom. */
  private static TxnRequest nestedTxn(int levels, String key) {
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addSuccess(
                RequestOp.newBuilder()
                    .setRequestPut(
                        PutRequest.newBuilder().setKey(Etcd.bytes(key)).setValue(Etcd.bytes("v"))))
            .build();
    for (int level = 2; level <= levels; level++) {
      txn = TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestTxn(txn)).build();
    }
    return txn;
  }

  /** A body that does not parse is refused without a stack trace per request in the node's log. */
  @Test
  void unparseableRequestBodiesAreRefusedWithoutFloodingTheLog() throws IOException {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
    for (int i = 0; i < 20; i++) {
      int node = i % cluster.size();
      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () ->
                  RawCalls.call(
                      cluster.channel(node), RawCalls.PUT, garbage, Etcd.REQUEST_DEADLINE));
      assertThat(e).as("garbage body %d", i).isNotNull();
      assertThat(e.getStatus().getCode()).isNotEqualTo(Status.Code.OK);
    }
    assertNothingWrittenAndServing();
    assertNoGrpcNoiseLogged();
  }

  @Test
  void garbageOnTheClientPortIsAnsweredOrCutOff() throws IOException {
    byte[] garbage = new byte[GARBAGE_BYTES];
    new Random(42).nextBytes(garbage);
    byte[] http1 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] http2ThenGarbage = new byte[http2Preface.length + 4096];
    System.arraycopy(http2Preface, 0, http2ThenGarbage, 0, http2Preface.length);
    System.arraycopy(garbage, 0, http2ThenGarbage, http2Preface.length, 4096);

    for (int node = 0; node < cluster.size(); node++) {
      assertAnsweredOrCutOff(node, "random bytes", garbage);
      assertAnsweredOrCutOff(node, "an HTTP/1.1 request", http1);
      assertAnsweredOrCutOff(node, "an HTTP/2 preface and random frames", http2ThenGarbage);
    }
    assertNothingWrittenAndServing();
    assertNoGrpcNoiseLogged();
  }

  /** Malformed traffic is gRPC's to answer: it must not fill a node's log with stack traces. */
  private static void assertNoGrpcNoiseLogged() throws IOException {
    if (cluster.flavor() != ServerFlavor.KVSERVER) {
      return;
    }
    for (int node = 0; node < cluster.size(); node++) {
      assertThat(java.nio.file.Files.readString(cluster.logFile(node)))
          .as("node %d's log", node)
          .doesNotContain("Invalid protobuf byte sequence")
          .doesNotContain("Transport failed")
          .doesNotContain("Exception processing message")
          .doesNotContain("Http2Exception");
    }
  }

  /**
   * Within a bound the node closes or resets the connection, or answers with an error of its own
   * (an HTTP status, an HTTP/2 GOAWAY): it neither hangs on the bytes nor takes them as a request.
   */
  private static void assertAnsweredOrCutOff(int node, String what, byte[] bytes)
      throws IOException {
    String address = cluster.clientAddress(node);
    int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(GARBAGE_ANSWER_TIMEOUT_MS);
      try {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        // Returns the first byte of an answer, or -1 at a close: both are fine.
        socket.getInputStream().read();
      } catch (SocketTimeoutException e) {
        throw new AssertionError(
            "node "
                + node
                + " neither answered nor closed within "
                + GARBAGE_ANSWER_TIMEOUT_MS
                + " ms after "
                + what,
            e);
      } catch (IOException e) {
        // Reset by the server, or a broken pipe while writing: the connection ended.
      }
    }
  }

  private static TxnRequest txnOfPuts(String prefix, int count) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (int i = 0; i < count; i++) {
      txn.addSuccess(
          RequestOp.newBuilder()
              .setRequestPut(
                  PutRequest.newBuilder()
                      .setKey(Etcd.bytes(prefix + i))
                      .setValue(Etcd.bytes("v" + i))));
    }
    return txn.build();
  }

  private static org.assertj.core.api.ThrowableAssert.ThrowingCallable putTo(
      int node, PutRequest.Builder request) {
    return () -> Etcd.withDeadline(cluster.kv(node), Etcd.REQUEST_DEADLINE).put(request.build());
  }

  private static void assertRejectedOnEveryNode(
      Function<KVGrpc.KVBlockingStub, Object> call, Status.Code code, String message) {
    for (int node = 0; node < cluster.size(); node++) {
      KVGrpc.KVBlockingStub kv = Etcd.withDeadline(cluster.kv(node), Etcd.REQUEST_DEADLINE);
      StatusRuntimeException e =
          catchThrowableOfType(StatusRuntimeException.class, () -> call.apply(kv));
      assertThat(e).as("the request on node %d", node).isNotNull();
      assertThat(e.getStatus().getCode()).as("status code on node %d", node).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).as("message on node %d", node).isEqualTo(message);
    }
  }

  /** The revision is where it was on every node, and each still answers a linearizable read. */
  private void assertNothingWrittenAndServing() {
    for (int node = 0; node < cluster.size(); node++) {
      assertThat(Etcd.get(cluster.kv(node), "any", false).getHeader().getRevision())
          .as("revision on node %d", node)
          .isEqualTo(revisionBefore);
    }
    cluster.failOnUnexpectedExit();
  }

  private static long revision() {
    return Etcd.get(cluster.kv(cluster.awaitLeader()), "any", false).getHeader().getRevision();
  }
}
