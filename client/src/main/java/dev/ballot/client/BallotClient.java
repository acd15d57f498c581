package dev.ballot.client;

import dev.ballot.etcd.api.ClusterGrpc;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.MemberListRequest;
import dev.ballot.etcd.api.MemberPromoteRequest;
import dev.ballot.etcd.api.MemberRemoveRequest;
import dev.ballot.etcd.api.MemberUpdateRequest;
import dev.ballot.etcd.api.MoveLeaderRequest;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.TxnRequest;
import io.grpc.Deadline;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A client of a Ballot cluster (or any etcd v3 cluster) over gRPC.
 *
 * <pre>{@code
 * try (BallotClient client = BallotClient.builder()
 *     .endpoints("127.0.0.1:2379", "127.0.0.2:2379", "127.0.0.3:2379")
 *     .requestTimeout(Duration.ofSeconds(5))
 *     .build()) {
 *   client.put("greeting", "hello").get();
 *   Optional<KeyValue> kv = client.get("greeting").get();
 * }
 * }</pre>
 *
 * <h2>Endpoints and failover</h2>
 *
 * The client keeps one channel per endpoint and starts connecting all of them when it is built.
 * Requests go to one endpoint, starting with the first, and stay there while it answers; when it
 * fails they move to the next in order at once, without sleeping and without waiting for the
 * deadline. A request is handed to a channel only once it is connected: a channel still connecting
 * after 300 ms (at most the connect timeout) is left for the next endpoint, the request provably
 * unsent. An endpoint that let a request time out (a frozen process) or did not connect in time is
 * avoided for 5 seconds: moving on skips it while another endpoint is not avoided.
 *
 * <h2>Deadlines and retries</h2>
 *
 * Every request gets one deadline, the builder's {@link Builder#requestTimeout request timeout},
 * which covers all its attempts. Within it:
 *
 * <ul>
 *   <li>Reads ({@link #get}, {@link #range}, {@link #members}, read-only transactions) are retried
 *       on any endpoint after every {@code UNAVAILABLE} answer.
 *   <li>Writes ({@link #put}, {@link #delete}, transactions with a write, compare-and-swap, and the
 *       membership changes {@link #removeMember}, {@link #promoteMember} and {@link #updateMember})
 *       are retried only when the failure proves the write was not applied and never will be ("not
 *       applied"): the request never reached a server (connection refused, reset or not made; the
 *       call failed before its message was handed to a connection; a server shutting down refused
 *       the stream unprocessed with {@code GOAWAY}), or the server refused it before proposing it
 *       with {@code "etcdserver: no leader"}, {@code "etcdserver: not leader"}, {@code "etcdserver:
 *       rpc not supported for learner"}, {@code "etcdserver: not capable"} or {@code "etcdserver:
 *       unhealthy cluster"}, or answered {@code "etcdserver: leader changed"} (Ballot sends it for
 *       a write only once a newer leader's entry replaced the write's; etcd sends it only for
 *       reads).
 *   <li>A write that was sent and got no definite answer (deadline passed, {@code "etcdserver:
 *       request timed out"}, {@code "etcdserver: server stopped"}, connection lost after sending)
 *       fails with {@link OutcomeUnknownException}: it may or may not have been applied. It is
 *       never repeated by the client.
 *   <li>{@link #moveLeader} goes to the leader only, once, and ends like a write.
 * </ul>
 *
 * After every endpoint has failed once, the next round waits a little (25 ms, doubling up to 500
 * ms).
 *
 * <h2>Failures</h2>
 *
 * The futures fail with a {@link BallotException}: {@link InvalidRequestException} for a malformed
 * or too large request, {@link ResourceExhaustedException} for back-pressure or a full store,
 * {@link UnavailableException} when no endpoint could serve the request in time (nothing written),
 * {@link OutcomeUnknownException} as above, {@link RequestTimeoutException} for a read without an
 * answer, and plain {@link BallotException} for other server errors.
 *
 * <h2>Threads</h2>
 *
 * Methods never block. The futures complete on gRPC's callback threads: dependent stages that block
 * should use the {@code ...Async} variants with an executor of their own. The client is
 * thread-safe.
 */
public final class BallotClient implements AutoCloseable {
  private final EndpointPool pool;
  private final ScheduledThreadPoolExecutor retryScheduler;
  private final RequestRunner runner;
  private final WatchStream watches;
  private final AtomicBoolean closed = new AtomicBoolean();

  private BallotClient(Builder builder) {
    this.pool =
        new EndpointPool(builder.endpoints, builder.connectTimeout, builder.maxInboundMessageBytes);
    this.retryScheduler =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "ballot-client-retry");
              thread.setDaemon(true);
              return thread;
            });
    this.runner =
        new RequestRunner(pool, retryScheduler, builder.requestTimeout, builder.connectTimeout);
    this.watches = new WatchStream(pool, builder.requestTimeout);
    pool.connectAll();
  }

  /**
   * Starts configuring a client.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The endpoints this client fails over between, as host:port, in order.
   *
   * @return the endpoints
   */
  public List<String> endpoints() {
    return pool.addresses();
  }

  /**
   * Writes {@code value} under {@code key}.
   *
   * @param key the key
   * @param value the value
   * @return the revision of the write
   */
  public CompletableFuture<PutResult> put(byte[] key, byte[] value) {
    return put(key, value, PutOptions.DEFAULT);
  }

  /**
   * Writes {@code value} under {@code key}, both UTF-8.
   *
   * @param key the key
   * @param value the value
   * @return the revision of the write
   */
  public CompletableFuture<PutResult> put(String key, String value) {
    return put(Bytes.utf8(key), Bytes.utf8(value));
  }

  /**
   * Writes {@code value} under {@code key} with options, such as {@link PutOptions#withPrevKv()} to
   * get the value it replaced.
   *
   * @param key the key
   * @param value the value
   * @param options the options
   * @return the revision of the write and, if asked for, the previous key-value
   */
  public CompletableFuture<PutResult> put(byte[] key, byte[] value, PutOptions options) {
    return runner
        .call(KVGrpc.getPutMethod(), Protos.put(key, value, options), CallKind.WRITE)
        .thenApply(response -> Protos.putResult(response, 0));
  }

  /**
   * Writes {@code value} under {@code key} with options, both UTF-8.
   *
   * @param key the key
   * @param value the value
   * @param options the options
   * @return the revision of the write and, if asked for, the previous key-value
   */
  public CompletableFuture<PutResult> put(String key, String value, PutOptions options) {
    return put(Bytes.utf8(key), Bytes.utf8(value), options);
  }

  /**
   * The lease calls: grant, revoke, keep-alive, time to live, list.
   *
   * @return the leases of this client's cluster
   */
  public Leases leases() {
    return new Leases(runner);
  }

  /**
   * etcd's locks (the Lock service).
   *
   * @return the locks of this client's cluster
   */
  public Locks locks() {
    return new Locks(runner);
  }

  /**
   * Reads one key, linearizably.
   *
   * @param key the key
   * @return the key-value, empty when the key does not exist
   */
  public CompletableFuture<Optional<KeyValue>> get(byte[] key) {
    return range(RangeOptions.builder(key).build())
        .thenApply(result -> result.kvs().stream().findFirst());
  }

  /**
   * Reads one key (UTF-8), linearizably.
   *
   * @param key the key
   * @return the key-value, empty when the key does not exist
   */
  public CompletableFuture<Optional<KeyValue>> get(String key) {
    return get(Bytes.utf8(key));
  }

  /**
   * Reads a key or a range of keys.
   *
   * @param options what to read
   * @return the key-values, the count and the revision read
   */
  public CompletableFuture<RangeResult> range(RangeOptions options) {
    return runner
        .call(KVGrpc.getRangeMethod(), options.toRequest(), CallKind.READ)
        .thenApply(response -> Protos.rangeResult(response, 0));
  }

  /**
   * Deletes one key.
   *
   * @param key the key
   * @return how many keys were deleted (0 or 1) and the revision
   */
  public CompletableFuture<DeleteResult> delete(byte[] key) {
    return delete(key, DeleteOptions.DEFAULT);
  }

  /**
   * Deletes one key (UTF-8).
   *
   * @param key the key
   * @return how many keys were deleted (0 or 1) and the revision
   */
  public CompletableFuture<DeleteResult> delete(String key) {
    return delete(Bytes.utf8(key));
  }

  /**
   * Deletes a key or a prefix, optionally returning what was deleted.
   *
   * @param key the key or prefix
   * @param options prefix and prev-kv
   * @return how many keys were deleted, the deleted key-values if asked for, and the revision
   */
  public CompletableFuture<DeleteResult> delete(byte[] key, DeleteOptions options) {
    return runner
        .call(KVGrpc.getDeleteRangeMethod(), Protos.delete(key, options), CallKind.WRITE)
        .thenApply(response -> Protos.deleteResult(response, 0));
  }

  /**
   * Drops the cluster's history before {@code revision}: reads and watches at older revisions fail
   * afterwards with etcd's "required revision has been compacted"; the current keys stay.
   * Compacting again to the same or an older revision fails the same way ({@link
   * InvalidRequestException}, {@code OUT_OF_RANGE}), and so does a revision not reached yet.
   *
   * @param revision the oldest revision to keep
   * @return the store revision when the compaction applied
   */
  public CompletableFuture<Long> compact(long revision) {
    return runner
        .call(
            KVGrpc.getCompactMethod(),
            dev.ballot.etcd.api.CompactionRequest.newBuilder().setRevision(revision).build(),
            CallKind.WRITE)
        .thenApply(response -> response.getHeader().getRevision());
  }

  /**
   * Deletes a key or a prefix (UTF-8), optionally returning what was deleted.
   *
   * @param key the key or prefix
   * @param options prefix and prev-kv
   * @return how many keys were deleted, the deleted key-values if asked for, and the revision
   */
  public CompletableFuture<DeleteResult> delete(String key, DeleteOptions options) {
    return delete(Bytes.utf8(key), options);
  }

  /**
   * Deletes every key that starts with {@code prefix}; the empty prefix deletes every key.
   *
   * @param prefix the prefix
   * @return how many keys were deleted and the revision
   */
  public CompletableFuture<DeleteResult> deletePrefix(byte[] prefix) {
    return delete(prefix, DeleteOptions.DEFAULT.withPrefix());
  }

  /**
   * Deletes every key that starts with {@code prefix} (UTF-8).
   *
   * @param prefix the prefix
   * @return how many keys were deleted and the revision
   */
  public CompletableFuture<DeleteResult> deletePrefix(String prefix) {
    return deletePrefix(Bytes.utf8(prefix));
  }

  /**
   * Starts a transaction: guards, then-operations, otherwise-operations, {@link Txn#commit()}.
   *
   * @return a new transaction builder
   */
  public Txn txn() {
    return new Txn(this);
  }

  CompletableFuture<TxnResult> commit(TxnRequest request, CallKind kind) {
    return runner.call(KVGrpc.getTxnMethod(), request, kind).thenApply(Protos::txnResult);
  }

  /**
   * Writes {@code newValue} under {@code key} only if its current value is {@code expected}, in one
   * transaction. A key that does not exist never matches.
   *
   * @param key the key
   * @param expected the value the key must hold
   * @param newValue the value to write
   * @return whether it was written; if not, the key as found
   */
  public CompletableFuture<CasResult> compareAndSwap(byte[] key, byte[] expected, byte[] newValue) {
    return swap(key, txn().ifValue(key, CompareOp.EQUAL, expected), newValue);
  }

  /**
   * Writes {@code newValue} under {@code key} only if its current value is {@code expected}, all
   * UTF-8.
   *
   * @param key the key
   * @param expected the value the key must hold
   * @param newValue the value to write
   * @return whether it was written; if not, the key as found
   */
  public CompletableFuture<CasResult> compareAndSwap(String key, String expected, String newValue) {
    return compareAndSwap(Bytes.utf8(key), Bytes.utf8(expected), Bytes.utf8(newValue));
  }

  /**
   * Writes {@code newValue} under {@code key} only if the key's last write was at {@code
   * expectedModRevision}; 0 means "only if the key does not exist".
   *
   * @param key the key
   * @param expectedModRevision the mod revision the key must have
   * @param newValue the value to write
   * @return whether it was written; if not, the key as found
   */
  public CompletableFuture<CasResult> compareAndSwapByRevision(
      byte[] key, long expectedModRevision, byte[] newValue) {
    return swap(key, txn().ifModRevision(key, CompareOp.EQUAL, expectedModRevision), newValue);
  }

  /**
   * Writes {@code newValue} under {@code key} only if the key's last write was at {@code
   * expectedModRevision}, key and value UTF-8.
   *
   * @param key the key
   * @param expectedModRevision the mod revision the key must have, 0 for "does not exist"
   * @param newValue the value to write
   * @return whether it was written; if not, the key as found
   */
  public CompletableFuture<CasResult> compareAndSwapByRevision(
      String key, long expectedModRevision, String newValue) {
    return compareAndSwapByRevision(Bytes.utf8(key), expectedModRevision, Bytes.utf8(newValue));
  }

  /**
   * Adds {@code delta} to the counter under {@code key}, atomically: the value is a decimal integer
   * (a missing key counts as 0), read and then written back by a compare-and-swap on the key's mod
   * revision, again as long as other writers get in between (at most 1000 tries). Concurrent
   * increments are never lost. A timed-out transaction fails with {@link OutcomeUnknownException}
   * and is not repeated: the increment may or may not have happened.
   *
   * @param key the counter's key
   * @param delta what to add, may be negative
   * @return the new value and the revision that wrote it; fails with {@link NotACounterException}
   *     when the value is not a decimal integer or the sum overflows (nothing written)
   */
  public CompletableFuture<IncrementResult> increment(byte[] key, long delta) {
    return CounterIncrement.start(this, key, delta);
  }

  /**
   * Adds {@code delta} to the counter under {@code key} (UTF-8); see {@link #increment(byte[],
   * long)}.
   *
   * @param key the counter's key
   * @param delta what to add, may be negative
   * @return the new value and the revision that wrote it
   */
  public CompletableFuture<IncrementResult> increment(String key, long delta) {
    return increment(Bytes.utf8(key), delta);
  }

  private CompletableFuture<CasResult> swap(byte[] key, Txn guarded, byte[] newValue) {
    return guarded
        .then(Op.put(key, newValue))
        .otherwise(Op.get(key))
        .commit()
        .thenApply(BallotClient::casResult);
  }

  private static CasResult casResult(TxnResult txn) {
    if (txn.succeeded()) {
      return new CasResult(true, txn.revision(), Optional.empty());
    }
    Optional<KeyValue> current = Optional.empty();
    if (!txn.responses().isEmpty() && txn.responses().get(0) instanceof OpResult.Range range) {
      current = range.result().kvs().stream().findFirst();
    }
    return new CasResult(false, txn.revision(), current);
  }

  /**
   * Asks one endpoint for its status, once: there is no failover, since the answer is about that
   * endpoint. The endpoint need not be one of {@link #endpoints()}.
   *
   * @param endpoint host:port or http://host:port
   * @return the endpoint's view of itself and of the leader
   */
  public CompletableFuture<EndpointStatus> status(String endpoint) {
    EndpointPool.Endpoint target;
    try {
      target = pool.lookup(endpoint);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return runner
        .callOnce(target, MaintenanceGrpc.getStatusMethod(), StatusRequest.getDefaultInstance())
        .thenApply(response -> Protos.endpointStatus(target.address(), response));
  }

  /**
   * Saves one endpoint's backup (etcd's {@code Maintenance.Snapshot} stream) to {@code file}: the
   * stream goes to {@code file.part}, which is synced, verified (format and SHA-256) and only then
   * renamed to {@code file}, so {@code file} is either a whole valid backup or untouched. No
   * failover: a backup is of one node's state.
   *
   * @param endpoint host:port or http://host:port
   * @param file where the backup goes
   * @param deadline for the whole transfer
   * @return what was saved
   */
  public CompletableFuture<SavedSnapshot> saveSnapshot(
      String endpoint, java.nio.file.Path file, Duration deadline) {
    try {
      return SnapshotDownload.start(pool.lookup(endpoint), file, deadline);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Lists the cluster's members, failing over like a read.
   *
   * @return the members in the order the server lists them
   */
  public CompletableFuture<List<MemberInfo>> members() {
    return runner
        .call(
            ClusterGrpc.getMemberListMethod(),
            MemberListRequest.getDefaultInstance(),
            CallKind.READ)
        .thenApply(response -> Protos.memberInfos(response.getMembersList()));
  }

  /**
   * Removes a member from the cluster (etcd's Cluster.MemberRemove). Like a write, it is sent again
   * only when the first try provably did nothing; a removal that may have happened fails with
   * {@link OutcomeUnknownException}, and asking again for a member already gone fails with {@code
   * NOT_FOUND}, {@code "etcdserver: member not found"}.
   *
   * @param memberId the member's id
   * @return the members after the removal
   */
  public CompletableFuture<List<MemberInfo>> removeMember(long memberId) {
    return runner
        .call(
            ClusterGrpc.getMemberRemoveMethod(),
            MemberRemoveRequest.newBuilder().setID(memberId).build(),
            CallKind.WRITE)
        .thenApply(response -> Protos.memberInfos(response.getMembersList()));
  }

  /**
   * Turns a learner into a voter (etcd's Cluster.MemberPromote); sent again like a write. etcd
   * refuses a member that is not a learner ({@code "etcdserver: can only promote a learner
   * member"}) and a learner whose log lags the leader's ({@code "... which is in sync with
   * leader"}), both {@code FAILED_PRECONDITION}.
   *
   * @param memberId the learner's id
   * @return the members after the promotion
   */
  public CompletableFuture<List<MemberInfo>> promoteMember(long memberId) {
    return runner
        .call(
            ClusterGrpc.getMemberPromoteMethod(),
            MemberPromoteRequest.newBuilder().setID(memberId).build(),
            CallKind.WRITE)
        .thenApply(response -> Protos.memberInfos(response.getMembersList()));
  }

  /**
   * Moves a member's peer port (etcd's Cluster.MemberUpdate with one peer URL); sent again like a
   * write. Every member's links to it switch to the new address once the change commits; the member
   * itself must be (re)started listening there. An unknown id fails with {@code NOT_FOUND}, {@code
   * "etcdserver: member not found"}; an address another member has with {@code "etcdserver: Peer
   * URLs already exists"}.
   *
   * @param memberId the member's id
   * @param peerAddr the new peer address, host:port
   * @return the members after the update
   */
  public CompletableFuture<List<MemberInfo>> updateMember(long memberId, String peerAddr) {
    return runner
        .call(
            ClusterGrpc.getMemberUpdateMethod(),
            MemberUpdateRequest.newBuilder()
                .setID(memberId)
                .addPeerURLs(peerAddr.startsWith("http://") ? peerAddr : "http://" + peerAddr)
                .build(),
            CallKind.WRITE)
        .thenApply(response -> Protos.memberInfos(response.getMembersList()));
  }

  /**
   * Hands leadership to another voter (etcd's Maintenance.MoveLeader) and completes once it leads.
   * etcd serves this only on the leader, so the client first finds it as etcdctl does: the endpoint
   * whose Status names itself leader, else the leader's client URL from the member list. The
   * request is then sent there once; if leadership moved meanwhile ({@code "etcdserver: not
   * leader"}) it fails with {@link UnavailableException} and nothing was done. One request timeout
   * covers both steps. A transfer without an answer in time fails with {@link
   * OutcomeUnknownException}: it may still happen.
   *
   * @param targetMemberId the voter that is to lead
   * @return who led before and who leads now
   */
  public CompletableFuture<LeaderTransfer> moveLeader(long targetMemberId) {
    Deadline deadline = runner.newDeadline();
    MoveLeaderRequest request = MoveLeaderRequest.newBuilder().setTargetID(targetMemberId).build();
    return LeaderFinder.find(pool, runner, deadline)
        .thenCompose(
            leader ->
                runner
                    .callOnce(
                        leader.endpoint(),
                        MaintenanceGrpc.getMoveLeaderMethod(),
                        request,
                        CallKind.WRITE,
                        deadline)
                    .thenApply(response -> new LeaderTransfer(leader.memberId(), targetMemberId)));
  }

  /**
   * Watches a key or a range of keys, from a past revision or from now, until {@link Watch#close()}
   * (etcd's Watch service). All watches of this client share one stream to one endpoint; when it
   * breaks they resume on another endpoint without losing or repeating an event (see {@link Watch}
   * for the exact guarantee). The listener is called on one thread of this client, one call at a
   * time (see {@link WatchListener}).
   *
   * <pre>{@code
   * Watch watch = client.watch(
   *     WatchOptions.builder("/jobs/").prefix().startRevision(42).build(),
   *     new WatchListener() {
   *       public void onEvents(WatchBatch batch) { batch.events().forEach(System.out::println); }
   *       public void onError(BallotException failure) { failure.printStackTrace(); }
   *     });
   * }</pre>
   *
   * @param options the key or range, the start revision, filters, prev-kv, progress notices
   * @param listener receives the events and how the watch ends
   * @return the running watch; close it to cancel
   */
  public Watch watch(WatchOptions options, WatchListener listener) {
    return watches.watch(options, listener);
  }

  /**
   * Closes the channels. Requests still in flight after a one-second grace period are cancelled (an
   * unanswered write then fails with {@link OutcomeUnknownException}); requests waiting to be
   * retried fail. Watches are cancelled without a further call to their listeners. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    watches.close();
    runner.close();
    pool.close();
    retryScheduler.shutdown();
  }

  /** Configures a {@link BallotClient}; not thread-safe. */
  public static final class Builder {
    private List<String> endpoints = List.of();
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration connectTimeout = Duration.ofSeconds(2);
    private int maxInboundMessageBytes = 64 * 1024 * 1024;

    private Builder() {}

    /**
     * Sets the endpoints, in the order they are tried: host:port, http://host:port or [ipv6]:port;
     * the port defaults to 2379.
     *
     * @param endpoints one or more endpoints
     * @return this builder
     */
    public Builder endpoints(String... endpoints) {
      return endpoints(List.of(endpoints));
    }

    /**
     * Sets the endpoints, in the order they are tried.
     *
     * @param endpoints one or more endpoints
     * @return this builder
     */
    public Builder endpoints(List<String> endpoints) {
      this.endpoints = List.copyOf(endpoints);
      return this;
    }

    /**
     * Sets the deadline of every request, all retries included. Default 5 s.
     *
     * @param requestTimeout a positive duration
     * @return this builder
     */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = positive(requestTimeout, "requestTimeout");
      return this;
    }

    /**
     * Sets how long one attempt to open a TCP connection may take. Default 2 s.
     *
     * @param connectTimeout a positive duration
     * @return this builder
     */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = positive(connectTimeout, "connectTimeout");
      return this;
    }

    /**
     * Sets the largest response the client accepts. Default 64 MiB.
     *
     * @param maxInboundMessageBytes a positive size in bytes
     * @return this builder
     */
    public Builder maxInboundMessageBytes(int maxInboundMessageBytes) {
      if (maxInboundMessageBytes <= 0) {
        throw new IllegalArgumentException(
            "maxInboundMessageBytes must be positive, got " + maxInboundMessageBytes);
      }
      this.maxInboundMessageBytes = maxInboundMessageBytes;
      return this;
    }

    /**
     * Opens the channels (connections are made lazily, on the first request).
     *
     * @return the client
     * @throws IllegalArgumentException when no endpoint is set or one cannot be parsed
     */
    public BallotClient build() {
      return new BallotClient(this);
    }

    private static Duration positive(Duration duration, String name) {
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + duration);
      }
      return duration;
    }
  }
}
