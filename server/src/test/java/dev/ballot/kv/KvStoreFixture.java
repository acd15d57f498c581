package dev.ballot.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.kv.proto.Command;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A KvStore on a real RocksDB in a temporary directory (or, in the subclasses of {@link
 * KvStoreOnInMemoryEngineTest}, on an {@link InMemoryKvEngine}), and request builders for its
 * tests.
 */
abstract class KvStoreFixture {
  @TempDir Path dir;
  private KvStoreDisk disk;
  KvEngine engine;
  KvStore store;
  long lastIndex;

  /** Where a store of this test keeps its data. */
  KvStoreDisk newDisk(Path dir) {
    return KvStoreDisk.rocksDb(dir);
  }

  @BeforeEach
  void openStore() {
    if (disk == null) {
      disk = newDisk(dir);
    }
    engine = disk.open();
    store = new KvStore(engine);
    lastIndex = store.appliedIndex();
  }

  @AfterEach
  void closeStore() {
    store.close();
    disk.close();
  }

  void reopen() {
    closeStore();
    openStore();
  }

  /** Applies at the next index. */
  ApplyResult apply(Command command) {
    return store.apply(++lastIndex, command);
  }

  /** Applies at the next index and expects success. */
  ResponseOp applyOk(Command command) {
    ApplyResult result = apply(command);
    assertThat(result.error()).as("apply error").isNull();
    return result.response();
  }

  KvError applyRejected(Command command) {
    ApplyResult result = apply(command);
    assertThat(result.isOk()).as("apply succeeded: %s", result.response()).isFalse();
    return result.error().error();
  }

  long put(String key, String value) {
    return applyOk(command(putRequest(key, value))).getResponsePut().getHeader().getRevision();
  }

  KeyValue get(String key) throws KvException {
    List<KeyValue> kvs = store.range(rangeRequest(key).build()).getKvsList();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  RangeResponse range(RangeRequest.Builder request) throws KvException {
    return store.range(request.build());
  }

  static ByteString bytes(String s) {
    return ByteString.copyFrom(s, UTF_8);
  }

  static String text(ByteString b) {
    return b.toStringUtf8();
  }

  static List<String> keys(RangeResponse response) {
    return response.getKvsList().stream().map(kv -> text(kv.getKey())).toList();
  }

  static PutRequest.Builder putRequest(String key, String value) {
    return PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value));
  }

  static DeleteRangeRequest.Builder deleteRequest(String key) {
    return DeleteRangeRequest.newBuilder().setKey(bytes(key));
  }

  static DeleteRangeRequest.Builder deleteRequest(String key, String rangeEnd) {
    return deleteRequest(key).setRangeEnd(bytes(rangeEnd));
  }

  static RangeRequest.Builder rangeRequest(String key) {
    return RangeRequest.newBuilder().setKey(bytes(key));
  }

  static RangeRequest.Builder rangeRequest(String key, String rangeEnd) {
    return rangeRequest(key).setRangeEnd(bytes(rangeEnd));
  }

  static Command command(PutRequest.Builder put) {
    return Command.newBuilder().setPut(put).build();
  }

  static Command command(DeleteRangeRequest.Builder delete) {
    return Command.newBuilder().setDeleteRange(delete).build();
  }

  static Command command(TxnRequest.Builder txn) {
    return Command.newBuilder().setTxn(txn).build();
  }

  static RequestOp op(PutRequest.Builder put) {
    return RequestOp.newBuilder().setRequestPut(put).build();
  }

  static RequestOp op(DeleteRangeRequest.Builder delete) {
    return RequestOp.newBuilder().setRequestDeleteRange(delete).build();
  }

  static RequestOp op(RangeRequest.Builder range) {
    return RequestOp.newBuilder().setRequestRange(range).build();
  }

  static RequestOp op(TxnRequest.Builder txn) {
    return RequestOp.newBuilder().setRequestTxn(txn).build();
  }

  static Compare.Builder compare(String key, Compare.CompareResult result) {
    return Compare.newBuilder().setKey(bytes(key)).setResult(result);
  }
}
