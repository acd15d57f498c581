package dev.ballot.kv;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.LeaseGrantRequest;
import dev.ballot.etcd.api.LeaseRevokeRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.etcd.mvcc.KeyValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the operations of one command (or of one read-only txn) the way etcd's {@code txn.go} does.
 * Writes go into {@link #batch()}, which the later operations of the same command read through, all
 * at revision {@code beginRevision + 1}; nothing reaches the store until the caller writes the
 * batch, so a rejected command in a batch of its own is dropped with it (in a batch shared with
 * other commands, {@link KvStore#applyBatched} sees to it). Compares, and ranges pinned to a
 * revision, read the state before the command.
 *
 * <p>Single-threaded: one instance per command.
 */
final class KvTxn implements AutoCloseable {
  private static final ResponseHeader NO_HEADER = ResponseHeader.getDefaultInstance();

  private final KvBatch batch;
  private final KeySpace before;
  private final KeySpace current;
  private final KvView committed;
  private final LeaseTable leases;
  private final long beginRevision;
  private final long compactRevision;
  private final boolean readOnly;

  /**
   * The current records the apply thread knows (null for a read-only txn, which reads a snapshot).
   */
  private final RecordCache records;

  /** The keys put or deleted so far, in order; any makes the command one new revision. */
  private final List<Event> events = new ArrayList<>();

  /** How many changes earlier parts of the same command wrote (0 for a command in one part). */
  private final int firstEvent;

  /** Whether {@link #close} closes {@link #batch}: not when it holds other commands' writes. */
  private final boolean ownsBatch;

  /** Whether the last {@link #deletePart} left keys of its range. */
  private boolean moreToDelete;

  /** The key after the last one {@link #deletePart} deleted. */
  private ByteString resumeKey;

  /**
   * The record each key written so far now has (null: deleted); where the batch stands for those
   * keys, so that {@link #records} is asked only for keys the command has not written.
   */
  private final Map<ByteString, KeyValue> written = new HashMap<>(4);

  /**
   * What a delete inside a txn, or one that returns the removed records ({@code prev_kv}), may
   * remove, keys and values (128 MiB): the command holds every removed record in memory until it is
   * written (the history keeps each as its event's previous value), on every node and again on
   * every replay, so the bound must hold whatever the heap. A constant, so every node rejects
   * alike. A plain range delete has no bound: {@link KvStore} writes it in parts ({@link
   * #deletePart}).
   */
  static final long MAX_DELETE_BYTES = 128L << 20;

  /**
   * The most keys and values one lease may hold (key and value bytes of each attached key): its
   * revoke or expiry deletes them all in one command, so it is bounded as a delete is.
   */
  static final long MAX_LEASE_BYTES = MAX_DELETE_BYTES;

  /** What the command's ops read and delete, together. */
  private final ResponseBytes responseBytes = new ResponseBytes();

  /**
   * @param committed the committed state (a snapshot for a read-only txn); owned by the caller and
   *     open while this is
   * @param beginRevision the store revision before the command
   * @param compactRevision the oldest revision a range may still read
   * @param records the current records the writer knows, for a txn over the live state; null for a
   *     read-only txn
   */
  KvTxn(
      KvEngine engine,
      KvView committed,
      long beginRevision,
      long compactRevision,
      boolean readOnly,
      RecordCache records) {
    this(engine, committed, beginRevision, compactRevision, readOnly, records, 0);
  }

  /**
   * A txn that goes on with a command whose earlier parts are written already ({@link
   * #deletePart}).
   *
   * @param firstEvent how many changes the earlier parts made: this txn's changes are numbered on
   *     from there in the history, and the command makes a new revision even if this part changes
   *     nothing
   */
  KvTxn(
      KvEngine engine,
      KvView committed,
      long beginRevision,
      long compactRevision,
      boolean readOnly,
      RecordCache records,
      int firstEvent) {
    this(
        engine.newBatch(),
        true,
        committed,
        beginRevision,
        compactRevision,
        readOnly,
        records,
        firstEvent);
  }

  /**
   * A command that writes into {@code shared}, a batch holding the writes of commands applied
   * before it and not yet written ({@link KvStore#applyBatched}): it reads through them, and they
   * count as committed for it. Only for commands that read no state as it was before them (no
   * compares, no ranges at a revision): that reads {@code committed} alone, without them. The
   * caller closes the batch.
   */
  KvTxn(
      KvBatch shared,
      KvView committed,
      long beginRevision,
      long compactRevision,
      RecordCache records) {
    this(shared, false, committed, beginRevision, compactRevision, false, records, 0);
  }

  private KvTxn(
      KvBatch batch,
      boolean ownsBatch,
      KvView committed,
      long beginRevision,
      long compactRevision,
      boolean readOnly,
      RecordCache records,
      int firstEvent) {
    this.firstEvent = firstEvent;
    this.batch = batch;
    this.ownsBatch = ownsBatch;
    this.committed = committed;
    this.before = new KeySpace(committed);
    KvView currentView = batch.over(committed);
    this.current = new KeySpace(currentView);
    this.leases = new LeaseTable(currentView, batch);
    this.beginRevision = beginRevision;
    this.compactRevision = compactRevision;
    this.readOnly = readOnly;
    this.records = records;
  }

  KvBatch batch() {
    return batch;
  }

  /** The store revision once the batch is written: one more if anything changed. */
  long revisionAfter() {
    return events.isEmpty() && firstEvent == 0 ? beginRevision : beginRevision + 1;
  }

  /**
   * The changes so far, in the order the command made them (all of revision {@link
   * #revisionAfter}).
   */
  List<Event> events() {
    return events;
  }

  /**
   * @param leaseFirst check the lease before the key's existence, as a plain Put does (a Put inside
   *     a txn checks the key first)
   */
  PutResponse put(PutRequest request, boolean leaseFirst) throws KvException {
    if (leaseFirst) {
      checkLease(request.getLease());
    }
    KeyValue prev = currentRecord(request.getKey());
    if ((request.getIgnoreValue() || request.getIgnoreLease()) && prev == null) {
      throw new KvException(KvError.KEY_NOT_FOUND);
    }
    if (!leaseFirst) {
      checkLease(request.getLease());
    }
    long revision = beginRevision + 1;
    KeyValue stored =
        KeyValue.newBuilder()
            .setCreateRevision(prev == null ? revision : prev.getCreateRevision())
            .setModRevision(revision)
            .setVersion(prev == null ? 1 : prev.getVersion() + 1)
            .setValue(request.getIgnoreValue() ? prev.getValue() : request.getValue())
            .setLease(request.getIgnoreLease() ? prev.getLease() : request.getLease())
            .build();
    moveLease(request.getKey(), prev, stored);
    write(request.getKey(), stored, prev);
    PutResponse.Builder response = PutResponse.newBuilder().setHeader(header(revision));
    if (request.getPrevKv() && prev != null) {
      response.setPrevKv(prev);
    }
    return response.build();
  }

  DeleteRangeResponse deleteRange(DeleteRangeRequest request) throws KvException {
    // Every deleted record goes to the history as the event's prev_kv, and is held in memory until
    // the command is written: records count whole against MAX_DELETE_BYTES, and against the
    // response's bound if the response returns them.
    List<KeyValue> prevKvs = new ArrayList<>();
    if (KeyRanges.isSingleKey(request.getRangeEnd())) {
      KeyValue kv = currentRecord(request.getKey());
      if (kv != null) {
        prevKvs.add(kv);
      }
    } else if (collect(request, MAX_DELETE_BYTES, false, prevKvs)) {
      throw new KvException(KvError.DELETE_TOO_LARGE);
    }
    deleteAll(prevKvs);
    DeleteRangeResponse.Builder response =
        DeleteRangeResponse.newBuilder()
            .setHeader(header(revisionAfter()))
            .setDeleted(prevKvs.size());
    if (request.getPrevKv()) {
      response.addAllPrevKvs(prevKvs);
    }
    return response.build();
  }

  /**
   * Deletes the first keys of a range delete's range (without {@code prev_kv}) as they are now,
   * writing at most {@code partBytes} into the batch by {@link #deleteWriteBytes}'s estimate, or
   * the first key alone if it is larger. The next part is the same request from {@link #resumeKey}
   * on; a command deleted in parts changes the same keys in the same order, and writes the same
   * history, as one in one part would.
   *
   * @return how many keys this part deleted; {@link #moreToDelete} says whether any are left
   */
  int deletePart(DeleteRangeRequest request, long partBytes) throws KvException {
    if (request.getPrevKv() || KeyRanges.isSingleKey(request.getRangeEnd())) {
      throw new IllegalArgumentException("only a range delete without prev_kv goes in parts");
    }
    List<KeyValue> prevKvs = new ArrayList<>();
    moreToDelete = collect(request, partBytes, true, prevKvs);
    if (!prevKvs.isEmpty()) {
      // The next key after the last one deleted: the next part starts there, not over this
      // part's deletions again.
      resumeKey = prevKvs.get(prevKvs.size() - 1).getKey().concat(ByteString.copyFrom(new byte[1]));
    }
    deleteAll(prevKvs);
    return prevKvs.size();
  }

  /** After {@link #deletePart}: whether the range holds keys that part left. */
  boolean moreToDelete() {
    return moreToDelete;
  }

  /** After {@link #deletePart} deleted keys: where the rest of its range starts. */
  ByteString resumeKey() {
    return resumeKey;
  }

  /**
   * What deleting the key {@code key} whose record is {@code prev} writes into a batch, about: the
   * key's delete, and its history event (a key of its own, and the event, which holds the key and
   * the record again as the previous value).
   */
  static long deleteWriteBytes(byte[] key, KeyValue prev) {
    return 2L * key.length + prev.getSerializedSize() + 32;
  }

  /**
   * Adds the range's current records to {@code into}, in key order, as long as their keys and
   * values come to at most {@code bound} bytes (the first one always); with {@code writes}, as long
   * as what deleting them writes does ({@link #deleteWriteBytes}).
   *
   * @return whether the range holds more records than were added
   */
  private boolean collect(
      DeleteRangeRequest request, long bound, boolean writes, List<KeyValue> into)
      throws KvException {
    KvError[] tooLarge = {null};
    boolean[] more = {false};
    long[] removed = {0};
    current.scan(
        request.getKey().toByteArray(),
        KeyRanges.upperBound(request.getRangeEnd()),
        (key, position) -> {
          KeyValue prev = KeySpace.decode(key, position.value());
          removed[0] +=
              writes ? deleteWriteBytes(key, prev) : key.length + prev.getSerializedSize();
          if (removed[0] > bound && !into.isEmpty()) {
            more[0] = true;
            return false;
          }
          if (request.getPrevKv() && !responseBytes.tryAdd(key.length + prev.getSerializedSize())) {
            tooLarge[0] = KvError.RESPONSE_TOO_LARGE;
            return false;
          }
          into.add(prev);
          return true;
        });
    if (tooLarge[0] != null) {
      throw new KvException(tooLarge[0]);
    }
    return more[0];
  }

  private void deleteAll(List<KeyValue> prevKvs) throws KvException {
    for (KeyValue prev : prevKvs) {
      delete(prev);
      moveLease(prev.getKey(), prev, null);
    }
  }

  RangeResponse range(RangeRequest request) throws KvException {
    long revision = request.getRevision();
    RangeQuery.checkRevision(revision, beginRevision, compactRevision);
    // A range pinned to a revision reads the state at that revision, before any write of this
    // command, as etcd's MVCC read does.
    KeySpace view = current;
    if (revision == beginRevision) {
      view = before;
    } else if (revision > 0) {
      view = new KeySpace(new RevisionView(committed, revision));
    }
    return RangeQuery.run(view, request, responseBytes).setHeader(header(revisionAfter())).build();
  }

  TxnResponse txn(TxnRequest request) throws KvException {
    return execute(request).setHeader(header(revisionAfter())).build();
  }

  private TxnResponse.Builder execute(TxnRequest request) throws KvException {
    boolean succeeded = true;
    for (Compare compare : request.getCompareList()) {
      if (!holds(compare)) {
        succeeded = false;
        break;
      }
    }
    TxnResponse.Builder response = TxnResponse.newBuilder().setSucceeded(succeeded);
    for (RequestOp op : succeeded ? request.getSuccessList() : request.getFailureList()) {
      response.addResponses(execute(op));
    }
    return response;
  }

  private ResponseOp execute(RequestOp op) throws KvException {
    ResponseOp.Builder response = ResponseOp.newBuilder();
    switch (op.getRequestCase()) {
      case REQUEST_RANGE -> response.setResponseRange(range(op.getRequestRange()));
      case REQUEST_PUT -> response.setResponsePut(put(op.getRequestPut(), false));
      case REQUEST_DELETE_RANGE ->
          response.setResponseDeleteRange(deleteRange(op.getRequestDeleteRange()));
        // etcd leaves the header of a nested txn's response empty.
      case REQUEST_TXN -> response.setResponseTxn(execute(op.getRequestTxn()).setHeader(NO_HEADER));
      case REQUEST_NOT_SET -> throw new KvException(KvError.KEY_NOT_FOUND);
    }
    return response.build();
  }

  /**
   * Every key of the compare's range must satisfy it, judged on the state before the command. A
   * missing key has version, create, mod and lease 0, but no value: a VALUE compare on it fails.
   */
  private boolean holds(Compare compare) {
    if (KeyRanges.isSingleKey(compare.getRangeEnd())) {
      KeyValue kv = before.get(compare.getKey());
      return kv == null ? holdsForMissing(compare) : matches(compare, kv);
    }
    boolean[] found = {false};
    boolean[] all = {true};
    before.scan(
        compare.getKey().toByteArray(),
        KeyRanges.upperBound(compare.getRangeEnd()),
        (key, position) -> {
          found[0] = true;
          all[0] = matches(compare, KeySpace.decode(key, position.value()));
          return all[0];
        });
    return found[0] ? all[0] : holdsForMissing(compare);
  }

  private static boolean holdsForMissing(Compare compare) {
    return compare.getTarget() != Compare.CompareTarget.VALUE
        && matches(compare, KeyValue.getDefaultInstance());
  }

  // The getters of the other target_union members answer 0 or empty, as etcd's missing operand.
  private static boolean matches(Compare compare, KeyValue kv) {
    int order =
        switch (compare.getTarget()) {
          case VERSION -> Long.compare(kv.getVersion(), compare.getVersion());
          case CREATE -> Long.compare(kv.getCreateRevision(), compare.getCreateRevision());
          case MOD -> Long.compare(kv.getModRevision(), compare.getModRevision());
          case VALUE -> KeyRanges.ORDER.compare(kv.getValue(), compare.getValue());
          case LEASE -> Long.compare(kv.getLease(), compare.getLease());
          case UNRECOGNIZED -> 0;
        };
    return switch (compare.getResult()) {
      case EQUAL -> order == 0;
      case NOT_EQUAL -> order != 0;
      case GREATER -> order > 0;
      case LESS -> order < 0;
      case UNRECOGNIZED -> true;
    };
  }

  private void checkLease(long lease) throws KvException {
    if (lease != 0 && !leases.exists(lease)) {
      throw new KvException(KvError.LEASE_NOT_FOUND);
    }
  }

  /**
   * Moves {@code key}'s attachment and its bytes from the lease of its previous record to that of
   * its new one ({@code null}, or lease 0: none); refuses the write if the new lease would then
   * hold more than {@link #MAX_LEASE_BYTES}.
   */
  private void moveLease(ByteString key, KeyValue prev, KeyValue stored) throws KvException {
    long from = prev == null ? 0 : prev.getLease();
    long to = stored == null ? 0 : stored.getLease();
    if (from != 0) {
      leases.addAttachedBytes(from, -attachedSize(key.size(), prev));
      if (from != to) {
        leases.detach(from, key.toByteArray());
      }
    }
    if (to != 0) {
      if (leases.addAttachedBytes(to, attachedSize(key.size(), stored)) > MAX_LEASE_BYTES) {
        throw new KvException(KvError.LEASE_TOO_LARGE);
      }
      if (from != to) {
        leases.attach(to, key.toByteArray());
      }
    }
  }

  /** What a key counts against its lease: its key and value bytes. */
  static long attachedSize(int keyLength, KeyValue record) {
    return (long) keyLength + record.getValue().size();
  }

  /**
   * Grants the lease the command names (its id and TTL chosen before proposing). Changes no key, so
   * the revision stays, as etcd's.
   */
  void grantLease(LeaseGrantRequest request) throws KvException {
    if (leases.exists(request.getID())) {
      throw new KvException(KvError.LEASE_EXISTS);
    }
    leases.grant(request.getID(), request.getTTL());
  }

  /**
   * Revokes a lease: deletes every key attached to it, in one revision (none if it has no keys),
   * and removes it.
   *
   * @return how many keys were deleted
   */
  long revokeLease(LeaseRevokeRequest request) throws KvException {
    long id = request.getID();
    if (!leases.exists(id)) {
      throw new KvException(KvError.LEASE_NOT_FOUND);
    }
    List<byte[]> keys = leases.keys(id);
    for (byte[] key : keys) {
      KeyValue prev = currentRecord(ByteString.copyFrom(key));
      if (prev != null) {
        delete(prev);
      }
      leases.detach(id, key);
    }
    leases.remove(id);
    return keys.size();
  }

  /**
   * The key's record as this command sees it: its own write if it wrote the key, else the committed
   * one, from {@link #records} if known there.
   */
  private KeyValue currentRecord(ByteString key) {
    if (records == null) {
      return current.get(key);
    }
    if (written.containsKey(key)) {
      return written.get(key);
    }
    KeyValue known = records.get(key);
    if (known != null) {
      return known;
    }
    KeyValue stored = current.get(key); // not in the batch: the committed record
    if (stored != null) {
      records.learn(key, stored);
    }
    return stored;
  }

  private void write(ByteString key, KeyValue stored, KeyValue prev) {
    checkWritable();
    batch.put(KvSpace.DATA, key.toByteArray(), KeySpace.encode(stored));
    KeyValue withKey = stored.toBuilder().setKey(key).build();
    written.put(key, withKey);
    Event.Builder event = Event.newBuilder().setKv(withKey);
    if (prev != null) {
      event.setPrevKv(prev);
    }
    record(event.build());
  }

  /** Deletes {@code prev}'s key; {@code prev} is its record, with the key. */
  private void delete(KeyValue prev) {
    checkWritable();
    batch.delete(KvSpace.DATA, prev.getKey().toByteArray());
    written.put(prev.getKey(), null);
    record(
        Event.newBuilder()
            .setType(Event.EventType.DELETE)
            .setKv(KeyValue.newBuilder().setKey(prev.getKey()).setModRevision(beginRevision + 1))
            .setPrevKv(prev)
            .build());
  }

  private void record(Event event) {
    batch.put(
        KvSpace.EVENTS,
        History.key(beginRevision + 1, firstEvent + events.size()),
        event.toByteArray());
    events.add(event);
  }

  private void checkWritable() {
    if (readOnly) {
      throw new IllegalStateException("write in a read-only txn");
    }
  }

  private static ResponseHeader header(long revision) {
    return ResponseHeader.newBuilder().setRevision(revision).build();
  }

  @Override
  public void close() {
    if (ownsBatch) {
      batch.close();
    }
  }
}
