package dev.ballot.cluster;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.kv.ApplyResult;
import dev.ballot.kv.CommandCodec;
import dev.ballot.kv.KvError;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvRequests;
import dev.ballot.kv.proto.Command;
import dev.ballot.node.NodeException;
import dev.ballot.node.RaftDriver;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.transport.Failures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one path of a client's key-value write, without gRPC: checked in the form it will have in the
 * log, refused when over quota, then proposed on the leader through the {@link LeaderRouter} (here,
 * or forwarded to the leader's {@link #acceptForwarded}), and answered with the state machine's
 * result. The KV service and the simulation's clients both call {@link #write}.
 *
 * <p>A leader handing leadership over (on a planned stop, or {@code MoveLeader}) refuses proposals
 * until the new leader takes over, usually within milliseconds. A write refused so is not failed
 * but proposed again every {@link #HANDOVER_RETRY_MS} for up to half its remaining time: it is then
 * proposed here (the handover was given up) or refused with the new leader's id, which the route
 * follows at once, instead of a "no leader" that makes it pause.
 */
public final class KvWrites {
  private static final Logger log = LoggerFactory.getLogger(KvWrites.class);

  /** How often a write refused during a leadership handover is proposed again. */
  static final long HANDOVER_RETRY_MS = 5;

  private final KvRequests requests;
  private final WriteQuota quota;
  private final RaftDriver<ApplyResult> driver;
  private final LeaderRouter router;
  private final LeaderLink link;
  private final TaskTimer timer;
  private final long clusterId;

  public KvWrites(
      KvRequests requests,
      WriteQuota quota,
      RaftDriver<ApplyResult> driver,
      LeaderRouter router,
      LeaderLink link,
      TaskTimer timer,
      long clusterId) {
    this.requests = requests;
    this.quota = quota;
    this.driver = driver;
    this.router = router;
    this.link = link;
    this.timer = timer;
    this.clusterId = clusterId;
  }

  /**
   * Writes {@code command} within {@code timeoutMs}. Completes with the state machine's response,
   * or exceptionally with a {@link KvException} (refused or rejected; nothing written), a node
   * refusal ({@code NodeException}) or a {@link RouteFailure}; {@link ClientStatus#of} makes etcd's
   * status of any of them.
   */
  public CompletableFuture<ResponseOp> write(Command command, long timeoutMs) {
    byte[] logBytes;
    try {
      logBytes = requests.logBytes(command);
      checkSpace(command);
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
    long deadlineNanos = timer.nowNanos() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    return router
        .route(new Write(logBytes), timeoutMs)
        .thenCompose(
            written ->
                AppliedHere.await(driver, timer, written.index(), deadlineNanos)
                    .thenApply(applied -> written.response()));
  }

  /**
   * Leader side of a write a follower forwarded: the same checks on the same bytes, then proposed
   * here, never forwarded again. Always completes normally: with the response, or with the typed
   * refusal the follower decides by.
   */
  public CompletableFuture<ForwardResponse> acceptForwarded(byte[] commandBytes, long timeoutMs) {
    try {
      requests.checkLogBytes(commandBytes);
      if (quota.full()) {
        checkSpace(CommandCodec.decode(commandBytes));
      }
    } catch (KvException e) {
      return CompletableFuture.completedFuture(refusal(e));
    }
    return Deadlines.within(timer, proposeHere(commandBytes, timeoutMs), timeoutMs)
        .handle(
            (written, error) ->
                error == null
                    ? ForwardResponse.newBuilder()
                        .setResponseOp(written.response().toByteString())
                        .setIndex(written.index())
                        .build()
                    : refusal(error));
  }

  private static ForwardResponse refusal(Throwable error) {
    return ForwardResponse.newBuilder().setRefusal(ForwardRefusals.toWire(error)).build();
  }

  private void checkSpace(Command command) throws KvException {
    if (quota.refuses(command)) {
      throw new KvException(KvError.NO_SPACE);
    }
  }

  /**
   * Proposes on this node, again while it hands leadership over (for at most half of {@code
   * timeoutMs}); the state machine's rejection fails it with its KvException.
   */
  private CompletableFuture<Written> proposeHere(byte[] logBytes, long timeoutMs) {
    CompletableFuture<Written> answer = new CompletableFuture<>();
    AtomicReference<CompletableFuture<ApplyResult>> current = new AtomicReference<>();
    // A caller that gives up completes the answer; pass it on so the driver forgets the proposal.
    answer.whenComplete(
        (v, e) -> {
          CompletableFuture<ApplyResult> proposal = current.get();
          if (e != null && proposal != null) {
            proposal.completeExceptionally(e);
          }
        });
    long holdUntilNanos = timer.nowNanos() + TimeUnit.MILLISECONDS.toNanos(timeoutMs / 2);
    proposeOnce(logBytes, holdUntilNanos, current, answer);
    return answer;
  }

  private void proposeOnce(
      byte[] logBytes,
      long holdUntilNanos,
      AtomicReference<CompletableFuture<ApplyResult>> current,
      CompletableFuture<Written> answer) {
    if (answer.isDone()) {
      return; // the caller gave up meanwhile
    }
    CompletableFuture<ApplyResult> proposal = driver.propose(logBytes);
    current.set(proposal);
    if (answer.isDone()) {
      proposal.cancel(false);
      return;
    }
    proposal.whenComplete(
        (result, error) -> {
          if (error == null) {
            if (result.isOk()) {
              answer.complete(new Written(result.index(), result.response()));
            } else {
              answer.completeExceptionally(result.error());
            }
          } else if (refusedDuringHandover(error) && timer.nowNanos() - holdUntilNanos < 0) {
            timer.schedule(
                () -> proposeOnce(logBytes, holdUntilNanos, current, answer), HANDOVER_RETRY_MS);
          } else {
            answer.completeExceptionally(error);
          }
        });
  }

  /**
   * Whether the driver refused a proposal because this node, still leading, is handing leadership
   * over (nothing was written).
   */
  private static boolean refusedDuringHandover(Throwable error) {
    return Failures.cause(error) instanceof NodeException ne
        && ne.kind() == NodeException.Kind.HANDING_OVER;
  }

  /**
   * A write's answer and the log index of its entry (0: a leader of an older version did not say).
   */
  private record Written(long index, ResponseOp response) {}

  /** One write in the two forms the route needs. */
  private final class Write implements LeaderWork<Written> {
    private final byte[] logBytes;

    Write(byte[] logBytes) {
      this.logBytes = logBytes;
    }

    @Override
    public CompletableFuture<Written> runHere(long timeoutMs) {
      return proposeHere(logBytes, timeoutMs);
    }

    @Override
    public CompletableFuture<Written> forward(long leaderId, long timeoutMs) {
      ForwardRequest request =
          ForwardRequest.newBuilder()
              .setClusterId(clusterId)
              .setCommand(ByteString.copyFrom(logBytes))
              .build();
      CompletableFuture<ForwardResponse> call = link.forward(leaderId, request, timeoutMs);
      CompletableFuture<Written> answer = call.thenCompose(r -> answerOf(leaderId, r));
      answer.whenComplete(
          (v, e) -> {
            if (e != null) {
              call.completeExceptionally(e); // the route gave up: cancel the call
            }
          });
      return answer;
    }
  }

  private static CompletableFuture<Written> answerOf(long leaderId, ForwardResponse response) {
    if (response.hasRefusal()) {
      return CompletableFuture.failedFuture(ForwardRefusals.fromWire(response.getRefusal()));
    }
    try {
      return CompletableFuture.completedFuture(
          new Written(response.getIndex(), ResponseOp.parseFrom(response.getResponseOp())));
    } catch (InvalidProtocolBufferException e) {
      log.error("leader sent an unreadable answer leader={}", leaderId, e);
      return CompletableFuture.failedFuture(
          RouteFailure.outcomeUnknown("unreadable answer from leader " + leaderId));
    }
  }
}
