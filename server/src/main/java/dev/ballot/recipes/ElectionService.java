package dev.ballot.recipes;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.etcd.election.CampaignRequest;
import dev.ballot.etcd.election.CampaignResponse;
import dev.ballot.etcd.election.ElectionGrpc;
import dev.ballot.etcd.election.LeaderKey;
import dev.ballot.etcd.election.LeaderRequest;
import dev.ballot.etcd.election.LeaderResponse;
import dev.ballot.etcd.election.ProclaimRequest;
import dev.ballot.etcd.election.ProclaimResponse;
import dev.ballot.etcd.election.ResignRequest;
import dev.ballot.etcd.election.ResignResponse;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's v3election.Election, as etcd serves it (clientv3/concurrency's Election run against this
 * node): the leader of NAME is the oldest key under {@code NAME/}, its value the proclaimed value;
 * a leader is known by its key and that key's create revision ({@link LeaderKey}).
 */
public final class ElectionService extends ElectionGrpc.ElectionImplBase {
  private static final Logger log = LoggerFactory.getLogger(ElectionService.class);

  private final LoopbackClient client;
  private final RecipeKv kv;
  private final Sessions sessions;
  private final Turn turn;

  public ElectionService(LoopbackClient client) {
    this.client = client;
    this.kv = new RecipeKv(client);
    this.sessions = new Sessions(client);
    this.turn = new Turn(client, kv);
  }

  @Override
  public void campaign(CampaignRequest request, StreamObserver<CampaignResponse> out) {
    Context call = Context.current();
    ByteString prefix = Prefixes.of(request.getName());
    Replies.send(
        sessions
            .lease(call, request.getLease())
            .thenCompose(
                lease -> {
                  ByteString key = Prefixes.contenderKey(prefix, lease);
                  return kv.createOrGet(call, key, request.getValue(), lease, prefix)
                      .thenCompose(queued -> campaign(call, request, prefix, key, lease, queued));
                }),
        out);
  }

  private CompletableFuture<CampaignResponse> campaign(
      Context call,
      CampaignRequest request,
      ByteString prefix,
      ByteString key,
      long lease,
      TxnResponse queued) {
    long revision = queued.getHeader().getRevision();
    LeaderKey leader =
        LeaderKey.newBuilder()
            .setName(request.getName())
            .setKey(key)
            .setRev(
                queued.getSucceeded()
                    ? revision
                    : queued.getResponses(0).getResponseRange().getKvs(0).getCreateRevision())
            .setLease(lease)
            .build();
    CompletableFuture<Void> valueSet = CompletableFuture.completedFuture(null);
    if (!queued.getSucceeded()
        && !queued
            .getResponses(0)
            .getResponseRange()
            .getKvs(0)
            .getValue()
            .equals(request.getValue())) {
      // A campaign again under the same lease keeps its place and proclaims the new value.
      valueSet =
          proclaim(call, leader, request.getValue())
              .exceptionallyCompose(
                  error ->
                      resign(call, leader)
                          .handle((resigned, ignored) -> null)
                          .thenCompose(
                              ignored -> CompletableFuture.<TxnResponse>failedFuture(error)))
              .thenApply(proclaimed -> null);
    }
    CampaignResponse won =
        CampaignResponse.newBuilder().setHeader(queued.getHeader()).setLeader(leader).build();
    return valueSet
        .thenCompose(
            ignored ->
                turn.await(
                    call,
                    prefix,
                    key,
                    leader.getRev(),
                    revision,
                    RecipeErrors.ELECTION_SESSION_EXPIRED))
        .handle(
            (header, error) -> {
              if (error == null) {
                return CompletableFuture.completedFuture(won);
              }
              if (call.isCancelled()) {
                // As etcd: a campaign its caller gave up leaves the election.
                resign(Context.ROOT, leader)
                    .whenComplete(
                        (resigned, resignError) -> {
                          if (resignError != null) {
                            log.warn(
                                "campaign key not removed after a cancelled wait key={} error={}",
                                key.toStringUtf8(),
                                RecipeErrors.statusOf(resignError));
                          }
                        });
              }
              return CompletableFuture.<CampaignResponse>failedFuture(error);
            })
        .thenCompose(result -> result);
  }

  @Override
  public void proclaim(ProclaimRequest request, StreamObserver<ProclaimResponse> out) {
    if (!request.hasLeader()) {
      out.onError(RecipeErrors.plain(RecipeErrors.MISSING_LEADER_KEY));
      return;
    }
    Context call = Context.current();
    LeaderKey given = request.getLeader();
    Replies.send(
        sessions
            .lease(call, given.getLease())
            .thenCompose(
                lease ->
                    proclaim(call, given.toBuilder().setLease(lease).build(), request.getValue()))
            .thenApply(
                proclaimed ->
                    ProclaimResponse.newBuilder().setHeader(proclaimed.getHeader()).build()),
        out);
  }

  /** Writes a new value only if the leader's key is still the one created at its revision. */
  private CompletableFuture<TxnResponse> proclaim(
      Context call, LeaderKey leader, ByteString value) {
    return kv.putIfCreatedAt(call, leader.getKey(), leader.getRev(), value, leader.getLease())
        .thenApply(
            written -> {
              if (!written.getSucceeded()) {
                throw RecipeErrors.plain(RecipeErrors.NOT_LEADER);
              }
              return written;
            });
  }

  @Override
  public void leader(LeaderRequest request, StreamObserver<LeaderResponse> out) {
    Replies.send(
        kv.firstCreated(Context.current(), Prefixes.of(request.getName()))
            .thenApply(
                first -> {
                  if (first.getKvsCount() == 0) {
                    throw RecipeErrors.plain(RecipeErrors.NO_LEADER);
                  }
                  return LeaderResponse.newBuilder()
                      .setHeader(first.getHeader())
                      .setKv(first.getKvs(0))
                      .build();
                }),
        out);
  }

  @Override
  public void observe(LeaderRequest request, StreamObserver<LeaderResponse> out) {
    new LeaderObserver(
            client,
            kv,
            Context.current(),
            Prefixes.of(request.getName()),
            (ServerCallStreamObserver<LeaderResponse>) out)
        .start();
  }

  @Override
  public void resign(ResignRequest request, StreamObserver<ResignResponse> out) {
    if (!request.hasLeader()) {
      out.onError(RecipeErrors.plain(RecipeErrors.MISSING_LEADER_KEY));
      return;
    }
    Replies.send(
        resign(Context.current(), request.getLeader())
            .thenApply(
                resigned -> ResignResponse.newBuilder().setHeader(resigned.getHeader()).build()),
        out);
  }

  /** Deletes the leader's key if it is still the one created at its revision; else nothing. */
  private CompletableFuture<TxnResponse> resign(Context call, LeaderKey leader) {
    return kv.deleteIfCreatedAt(call, leader.getKey(), leader.getRev());
  }
}
