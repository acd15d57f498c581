package dev.ballot.recipes;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.kv.KeyRanges;
import io.grpc.Context;
import java.util.concurrent.CompletableFuture;

/** The KV requests of etcd's concurrency recipes, sent to this node's own client port. */
final class RecipeKv {
  private final LoopbackClient client;

  RecipeKv(LoopbackClient client) {
    this.client = client;
  }

  /**
   * etcd's queue entry: puts {@code key} with the lease if it does not exist (create revision 0),
   * else reads it; either way also reads the first-created key under {@code prefix}. Responses:
   * [put or get of key, first key under prefix].
   */
  CompletableFuture<TxnResponse> createOrGet(
      Context context, ByteString key, ByteString value, long lease, ByteString prefix) {
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addCompare(createRevisionIs(key, 0))
            .addSuccess(
                RequestOp.newBuilder()
                    .setRequestPut(
                        PutRequest.newBuilder().setKey(key).setValue(value).setLease(lease)))
            .addSuccess(RequestOp.newBuilder().setRequestRange(firstCreatedRequest(prefix)))
            .addFailure(RequestOp.newBuilder().setRequestRange(getRequest(key)))
            .addFailure(RequestOp.newBuilder().setRequestRange(firstCreatedRequest(prefix)))
            .build();
    return txn(context, txn);
  }

  /**
   * Puts {@code value} to {@code key} only if the key is still the one created at that revision.
   */
  CompletableFuture<TxnResponse> putIfCreatedAt(
      Context context, ByteString key, long createRevision, ByteString value, long lease) {
    return txn(
        context,
        TxnRequest.newBuilder()
            .addCompare(createRevisionIs(key, createRevision))
            .addSuccess(
                RequestOp.newBuilder()
                    .setRequestPut(
                        PutRequest.newBuilder().setKey(key).setValue(value).setLease(lease)))
            .build());
  }

  /** Deletes {@code key} only if it is still the one created at that revision. */
  CompletableFuture<TxnResponse> deleteIfCreatedAt(
      Context context, ByteString key, long createRevision) {
    return txn(
        context,
        TxnRequest.newBuilder()
            .addCompare(createRevisionIs(key, createRevision))
            .addSuccess(
                RequestOp.newBuilder()
                    .setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(key)))
            .build());
  }

  /** The key under {@code prefix} created first (etcd's WithFirstCreate). */
  CompletableFuture<RangeResponse> firstCreated(Context context, ByteString prefix) {
    return range(context, firstCreatedRequest(prefix));
  }

  /**
   * The key under {@code prefix} created last at or before {@code maxCreateRevision} (etcd's
   * WithLastCreate and WithMaxCreateRev).
   */
  CompletableFuture<RangeResponse> lastCreatedUpTo(
      Context context, ByteString prefix, long maxCreateRevision) {
    return range(
        context,
        prefixRequest(prefix)
            .setSortTarget(RangeRequest.SortTarget.CREATE)
            .setSortOrder(RangeRequest.SortOrder.DESCEND)
            .setLimit(1)
            .setMaxCreateRevision(maxCreateRevision)
            .build());
  }

  CompletableFuture<RangeResponse> get(Context context, ByteString key) {
    return range(context, getRequest(key));
  }

  CompletableFuture<DeleteRangeResponse> delete(Context context, ByteString key) {
    DeleteRangeRequest request = DeleteRangeRequest.newBuilder().setKey(key).build();
    return Unary.call(context, out -> client.kv().deleteRange(request, out));
  }

  private CompletableFuture<TxnResponse> txn(Context context, TxnRequest request) {
    return Unary.call(context, out -> client.kv().txn(request, out));
  }

  private CompletableFuture<RangeResponse> range(Context context, RangeRequest request) {
    return Unary.call(context, out -> client.kv().range(request, out));
  }

  private static Compare createRevisionIs(ByteString key, long createRevision) {
    return Compare.newBuilder()
        .setKey(key)
        .setTarget(Compare.CompareTarget.CREATE)
        .setResult(Compare.CompareResult.EQUAL)
        .setCreateRevision(createRevision)
        .build();
  }

  private static RangeRequest getRequest(ByteString key) {
    return RangeRequest.newBuilder().setKey(key).build();
  }

  private static RangeRequest firstCreatedRequest(ByteString prefix) {
    return prefixRequest(prefix)
        .setSortTarget(RangeRequest.SortTarget.CREATE)
        .setSortOrder(RangeRequest.SortOrder.ASCEND)
        .setLimit(1)
        .build();
  }

  private static RangeRequest.Builder prefixRequest(ByteString prefix) {
    return RangeRequest.newBuilder().setKey(prefix).setRangeEnd(KeyRanges.prefixEnd(prefix));
  }
}
