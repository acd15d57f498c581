package dev.ballot.sim;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.ByteString;
import dev.ballot.cluster.ClientStatus;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.proto.Command;
import dev.ballot.linearizability.KvOp;
import dev.ballot.linearizability.Operation;
import dev.ballot.node.EtcdStatus;
import dev.ballot.raft.Role;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Clients of the simulated cluster, speaking etcd's requests: puts, deletes and compare-and-swaps
 * (a txn comparing the key's value, then a put, else a range of the key) go through a node's {@code
 * KvWrites}, the path of the KV service, so a follower forwards them to its leader; linearizable
 * gets take a ReadIndex, wait for it to be applied, and read the node's store, as the KV service
 * does. Each op's outcome is what a client sees: OK; FAILED when etcd's status says nothing was
 * written; UNKNOWN for a timeout or no answer at all. Values are unique per run.
 */
final class SimKvClient {
  /**
   * A few keys, so that ops on one key overlap often, and not fewer: the checker's search grows
   * fast with the writes of unknown outcome on one key.
   */
  private static final int KEYS = 6;

  /** As the KV service: 5 s plus two election timeouts is what a client waits at most. */
  static final long REQUEST_TIMEOUT_MS = 5_400;

  private final Random random;
  private final List<KvOp> done = new ArrayList<>();
  private final List<Pending> pending = new ArrayList<>();
  private long clock;
  private long nextValue = 1;
  private String lastKeyWritten = "k0";
  private int nextClient;
  long okWrites;
  long okReads;

  /** Writes acknowledged that a client sent to a follower, which forwarded them to its leader. */
  long okForwardedWrites;

  /**
   * Writes answered by a node that had not applied them yet: a client reading there next would miss
   * its own write. A node answers so only when its deadline passes first.
   */
  long okWritesUnappliedThere;

  /** Such answers given before the deadline: each breaks etcd's promise to read one's writes. */
  final List<String> unappliedAnswers = new ArrayList<>();

  private final LongSupplier nowMs;

  /** An op invoked and not answered yet. */
  private record Pending(KvOp invoked, boolean[] answered) {}

  SimKvClient(Random random, LongSupplier nowMs) {
    this.random = random;
    this.nowMs = nowMs;
  }

  /** Starts one random op on {@code server}; returns the value it writes, or null for a get. */
  String operate(SimServer server) {
    int client = nextClient++;
    String key = "k" + random.nextInt(KEYS);
    int roll = random.nextInt(100);
    if (roll < 3) {
      // History is dropped through the log too; every node must drop the same.
      compact(server);
      return null;
    }
    if (roll < 6) {
      // Leases and their keys (outside the checked keys): grants, revokes, attached puts and range
      // deletes of them must apply alike everywhere, across crashes and snapshots.
      lease(server);
      return null;
    }
    if (roll < 35) {
      // Mostly the key written last: where a stale read would show.
      get(client, random.nextInt(3) != 0 ? lastKeyWritten : key, server);
      return null;
    }
    lastKeyWritten = key;
    String value = "v" + nextValue++;
    if (roll < 60) {
      put(client, key, value, server);
    } else if (roll < 70) {
      delete(client, key, server);
      return null;
    } else {
      cas(client, key, lastWritten(key), value, server);
    }
    return value;
  }

  /**
   * Compacts to a revision a little before the server's current one (sometimes one already
   * compacted, or in the future by the time it applies elsewhere: refused alike on every node).
   */
  private void compact(SimServer server) {
    long target = server.store.store().revision() - random.nextInt(4);
    server
        .writes()
        .write(
            Command.newBuilder()
                .setCompaction(
                    dev.ballot.etcd.api.CompactionRequest.newBuilder().setRevision(target))
                .build(),
            REQUEST_TIMEOUT_MS);
  }

  /** A grant, a revoke or a put with one of a few lease ids, answered or not. */
  private void lease(SimServer server) {
    long id = 1 + random.nextInt(4);
    Command.Builder command = Command.newBuilder();
    switch (random.nextInt(3)) {
      case 0 ->
          command.setLeaseGrant(
              dev.ballot.etcd.api.LeaseGrantRequest.newBuilder().setID(id).setTTL(60));
      case 1 -> {
        if (id == 4) {
          // Lease 4 never holds a key (its puts are refused): its turn deletes every lease/ key
          // instead, in parts (KvSimStore), detaching each from its lease as it goes.
          command.setDeleteRange(
              dev.ballot.etcd.api.DeleteRangeRequest.newBuilder()
                  .setKey(bytes("lease/"))
                  .setRangeEnd(bytes("lease0")));
        } else {
          command.setLeaseRevoke(dev.ballot.etcd.api.LeaseRevokeRequest.newBuilder().setID(id));
        }
      }
      default -> {
        PutRequest.Builder put =
            PutRequest.newBuilder()
                .setKey(bytes("lease/" + random.nextInt(6)))
                .setValue(bytes("v" + nextValue++))
                .setLease(id);
        if (id == 4) {
          // A txn refused after its first put (the second needs a key that never exists): every
          // node drops both, and no node may remember the dropped record.
          command.setTxn(
              TxnRequest.newBuilder()
                  .addSuccess(RequestOp.newBuilder().setRequestPut(put.setLease(0)))
                  .addSuccess(
                      RequestOp.newBuilder()
                          .setRequestPut(
                              PutRequest.newBuilder()
                                  .setKey(bytes("lease/never"))
                                  .setIgnoreValue(true))));
        } else {
          command.setPut(put);
        }
      }
    }
    server.writes().write(command.build(), REQUEST_TIMEOUT_MS);
  }

  /** Writes {@code value} to a key of its own, for the run's recovery check. */
  CompletableFuture<ResponseOp> putRecovery(String value, SimServer server) {
    return put(nextClient++, "recovery", value, server);
  }

  /** A value some op wrote to {@code key}, often the newest: a compare-and-swap that may match. */
  private String lastWritten(String key) {
    for (int i = done.size() - 1; i >= 0; i--) {
      KvOp op = done.get(i);
      if (op.key().equals(key) && op.value() != null) {
        return op.value();
      }
    }
    return "none";
  }

  private CompletableFuture<ResponseOp> put(
      int client, String key, String value, SimServer server) {
    KvOp op =
        new KvOp(
            client,
            key,
            KvOp.Kind.PUT,
            null,
            value,
            KvOp.Outcome.UNKNOWN,
            null,
            ++clock,
            Operation.NEVER);
    PutRequest put = PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build();
    return write(op, Command.newBuilder().setPut(put).build(), server, response -> op.ok(++clock));
  }

  private void delete(int client, String key, SimServer server) {
    KvOp op =
        new KvOp(
            client,
            key,
            KvOp.Kind.DELETE,
            null,
            null,
            KvOp.Outcome.UNKNOWN,
            null,
            ++clock,
            Operation.NEVER);
    DeleteRangeRequest delete = DeleteRangeRequest.newBuilder().setKey(bytes(key)).build();
    write(op, Command.newBuilder().setDeleteRange(delete).build(), server, r -> op.ok(++clock));
  }

  private void cas(int client, String key, String expected, String value, SimServer server) {
    KvOp op =
        new KvOp(
            client,
            key,
            KvOp.Kind.CAS,
            expected,
            value,
            KvOp.Outcome.UNKNOWN,
            null,
            ++clock,
            Operation.NEVER);
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addCompare(
                Compare.newBuilder()
                    .setKey(bytes(key))
                    .setTarget(Compare.CompareTarget.VALUE)
                    .setResult(Compare.CompareResult.EQUAL)
                    .setValue(bytes(expected)))
            .addSuccess(
                RequestOp.newBuilder()
                    .setRequestPut(
                        PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value))))
            .addFailure(
                RequestOp.newBuilder()
                    .setRequestRange(RangeRequest.newBuilder().setKey(bytes(key))))
            .build();
    write(
        op,
        Command.newBuilder().setTxn(txn).build(),
        server,
        response -> {
          TxnResponse r = response.getResponseTxn();
          if (r.getSucceeded()) {
            return op.ok(++clock);
          }
          RangeResponse found = r.getResponses(0).getResponseRange();
          String observed = found.getKvsCount() == 0 ? null : string(found.getKvs(0).getValue());
          return KvOp.casMismatch(client, key, expected, value, observed, op.invokedAt(), ++clock);
        });
  }

  private interface Answer {
    KvOp of(ResponseOp response);
  }

  private CompletableFuture<ResponseOp> write(
      KvOp op, Command command, SimServer server, Answer answer) {
    Pending p = track(op);
    boolean viaFollower = server.core.role() != Role.LEADER;
    long sentMs = nowMs.getAsLong();
    Object incarnation = server.core;
    CompletableFuture<ResponseOp> result = server.writes().write(command, REQUEST_TIMEOUT_MS);
    result.whenComplete(
        (response, error) -> {
          if (error == null) {
            okWrites++;
            okForwardedWrites += viaFollower ? 1 : 0;
            long revision = revisionOf(response);
            if (server.store.store().revision() < revision) {
              okWritesUnappliedThere++;
              // An incarnation that crashed since (the sim still runs its callbacks) is exempt:
              // the store here is its successor's, which may not have applied as far yet.
              if (nowMs.getAsLong() - sentMs < REQUEST_TIMEOUT_MS && incarnation == server.core) {
                unappliedAnswers.add(
                    "node " + server.id + " revision " + revision + " at " + nowMs.getAsLong());
              }
            }
            finish(p, answer.of(response));
          } else if (nothingWritten(error)) {
            finish(p, op.failed(++clock));
          } else {
            finish(p, null); // outcome unknown: stays pending
          }
        });
    return result;
  }

  private static long revisionOf(ResponseOp response) {
    return switch (response.getResponseCase()) {
      case RESPONSE_PUT -> response.getResponsePut().getHeader().getRevision();
      case RESPONSE_DELETE_RANGE -> response.getResponseDeleteRange().getHeader().getRevision();
      case RESPONSE_TXN -> response.getResponseTxn().getHeader().getRevision();
      default -> throw new AssertionError("not a write's response: " + response);
    };
  }

  private void get(int client, String key, SimServer server) {
    KvOp invoked =
        new KvOp(
            client,
            key,
            KvOp.Kind.GET,
            null,
            null,
            KvOp.Outcome.UNKNOWN,
            null,
            ++clock,
            Operation.NEVER);
    Pending p = track(invoked);
    server
        .reads()
        .awaitReadable(REQUEST_TIMEOUT_MS)
        .whenComplete(
            (applied, error) -> {
              if (error != null) {
                finish(p, invoked.failed(++clock)); // a read changes nothing either way
                return;
              }
              try {
                RangeResponse r =
                    server
                        .store
                        .store()
                        .range(RangeRequest.newBuilder().setKey(bytes(key)).build());
                String observed = r.getKvsCount() == 0 ? null : string(r.getKvs(0).getValue());
                okReads++;
                finish(p, KvOp.get(client, key, observed, invoked.invokedAt(), ++clock));
              } catch (KvException e) {
                throw new AssertionError("a range of one key failed", e);
              }
            });
  }

  /**
   * Etcd's UNAVAILABLE answers that say a write did not happen: none was proposed (no leader, an
   * unhealthy cluster), or its entry was replaced by a newer leader's (leader changed). Every other
   * UNAVAILABLE (a timeout, a leader that failed under it, a stopping server) leaves it unknown.
   */
  private static final Set<String> UNAVAILABLE_NOTHING_WRITTEN =
      Set.of(
          EtcdStatus.NO_LEADER.getStatus().getDescription(),
          EtcdStatus.LEADER_CHANGED.getStatus().getDescription(),
          EtcdStatus.UNHEALTHY.getStatus().getDescription());

  /**
   * Whether the status a client would see says the write did not happen, as a careful client
   * decides: by a list of the answers that prove it, never by the absence of a known other one.
   */
  private static boolean nothingWritten(Throwable error) {
    Status status = ClientStatus.of(error).getStatus();
    String text = String.valueOf(status.getDescription());
    return switch (status.getCode()) {
      case DEADLINE_EXCEEDED, UNKNOWN, INTERNAL, CANCELLED -> false;
      case UNAVAILABLE -> UNAVAILABLE_NOTHING_WRITTEN.contains(text);
      default -> true;
    };
  }

  private Pending track(KvOp op) {
    Pending p = new Pending(op, new boolean[1]);
    pending.add(p);
    return p;
  }

  private void finish(Pending p, KvOp outcome) {
    if (p.answered()[0]) {
      throw new AssertionError("op answered twice: " + p.invoked());
    }
    p.answered()[0] = true;
    if (outcome != null) {
      pending.remove(p);
      done.add(outcome);
    }
  }

  /**
   * Reads every key from {@code store} once the run is over (every member applied everything): the
   * last word on each key, so an acknowledged write that was lost cannot go unnoticed for want of a
   * later read.
   */
  void readAllAtEnd(KvStore store) {
    for (int k = 0; k < KEYS; k++) {
      String key = "k" + k;
      try {
        RangeResponse r = store.range(RangeRequest.newBuilder().setKey(bytes(key)).build());
        String observed = r.getKvsCount() == 0 ? null : string(r.getKvs(0).getValue());
        long at = ++clock;
        done.add(KvOp.get(nextClient++, key, observed, at, ++clock));
      } catch (KvException e) {
        throw new AssertionError("a range of one key failed", e);
      }
    }
  }

  /** Every op: those answered, and the others with an unknown outcome. */
  List<KvOp> history() {
    List<KvOp> all = new ArrayList<>(done);
    for (Pending p : pending) {
      if (p.invoked().kind() != KvOp.Kind.GET) {
        all.add(p.invoked());
      }
    }
    return all;
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, UTF_8);
  }

  private static String string(ByteString b) {
    return b.toStringUtf8();
  }
}
