package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.kv.proto.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * MVCC history: reads at past revisions, the events of each revision, and compaction, on RocksDB
 * (and on the in-memory engine in {@link KvStoreOnInMemoryEngineTest}).
 */
class KvStoreHistoryTest extends KvStoreFixture {
  @Test
  void aRangeAtAPastRevisionSeesTheKeysAsTheyWereThen() throws KvException {
    put("a", "1"); // 2
    put("b", "1"); // 3
    put("a", "2"); // 4
    applyOk(command(deleteRequest("b"))); // 5
    applyOk(
        command(
            TxnRequest.newBuilder()
                .addSuccess(op(putRequest("c", "1")))
                .addSuccess(op(putRequest("a", "3"))))); // 6

    assertThat(valuesAt(1)).isEmpty();
    assertThat(valuesAt(2)).containsExactly(Map.entry("a", "1"));
    assertThat(valuesAt(3)).containsExactly(Map.entry("a", "1"), Map.entry("b", "1"));
    assertThat(valuesAt(4)).containsExactly(Map.entry("a", "2"), Map.entry("b", "1"));
    assertThat(valuesAt(5)).containsExactly(Map.entry("a", "2"));
    assertThat(valuesAt(6)).containsExactly(Map.entry("a", "3"), Map.entry("c", "1"));

    KeyValue aAtFour = range(rangeRequest("a").setRevision(4)).getKvs(0);
    assertThat(aAtFour.getVersion()).isEqualTo(2);
    assertThat(aAtFour.getCreateRevision()).isEqualTo(2);
    assertThat(aAtFour.getModRevision()).isEqualTo(4);
    assertThat(range(rangeRequest("b").setRevision(5)).getKvsList()).isEmpty();
    assertThat(range(rangeRequest("a").setRevision(3)).getHeader().getRevision())
        .as("the header carries the current revision, as etcd's")
        .isEqualTo(6);
    dev.ballot.etcd.api.RangeResponse countAtThree =
        range(rangeRequest("\0", "\0").setRevision(3).setCountOnly(true));
    assertThat(countAtThree.getCount()).isEqualTo(2);
    dev.ballot.etcd.api.RangeResponse limitedAtFour =
        range(rangeRequest("\0", "\0").setRevision(4).setLimit(1));
    assertThat(keys(limitedAtFour)).containsExactly("a");
    assertThat(limitedAtFour.getMore()).isTrue();
  }

  @Test
  void eachRevisionRecordsItsEventsWithThePreviousRecords() throws KvException {
    put("a", "1"); // 2
    put("a", "2"); // 3
    applyOk(
        command(
            TxnRequest.newBuilder()
                .addSuccess(op(putRequest("b", "1")))
                .addSuccess(op(deleteRequest("a"))))); // 4

    List<Long> revisions = new ArrayList<>();
    List<Event> events = new ArrayList<>();
    long revision =
        store.history(
            3,
            (rev, event) -> {
              revisions.add(rev);
              events.add(event);
              return true;
            });

    assertThat(revision).isEqualTo(4);
    assertThat(revisions).containsExactly(3L, 4L, 4L);
    assertThat(events.get(0).getType()).isEqualTo(Event.EventType.PUT);
    assertThat(text(events.get(0).getKv().getValue())).isEqualTo("2");
    assertThat(text(events.get(0).getPrevKv().getValue())).isEqualTo("1");
    assertThat(text(events.get(1).getKv().getKey())).isEqualTo("b");
    assertThat(events.get(1).hasPrevKv()).isFalse();
    Event delete = events.get(2);
    assertThat(delete.getType()).isEqualTo(Event.EventType.DELETE);
    assertThat(delete.getKv())
        .isEqualTo(KeyValue.newBuilder().setKey(bytes("a")).setModRevision(4).build());
    assertThat(delete.getPrevKv().getModRevision()).isEqualTo(3);
  }

  @Test
  void compactionDropsOlderRevisionsAndKeepsItsOwn() throws KvException {
    put("a", "1"); // 2
    put("a", "2"); // 3
    put("b", "1"); // 4

    compact(3);

    assertThat(store.compactRevision()).isEqualTo(3);
    assertThat(valuesAt(3)).containsExactly(Map.entry("a", "2"));
    assertThat(valuesAt(4)).containsExactly(Map.entry("a", "2"), Map.entry("b", "1"));
    assertThatThrownBy(() -> range(rangeRequest("a").setRevision(2)))
        .isInstanceOfSatisfying(
            KvException.class, e -> assertThat(e.error()).isEqualTo(KvError.COMPACTED));
    assertThatThrownBy(() -> store.history(2, (rev, event) -> true))
        .isInstanceOfSatisfying(
            KvException.class, e -> assertThat(e.error()).isEqualTo(KvError.COMPACTED));
    List<Long> kept = new ArrayList<>();
    store.history(0 + 3, (rev, event) -> kept.add(rev));
    assertThat(kept).containsExactly(3L, 4L);

    assertThat(applyRejected(compactCommand(3))).isEqualTo(KvError.COMPACTED);
    assertThat(applyRejected(compactCommand(5))).isEqualTo(KvError.FUTURE_REVISION);
    assertThat(store.revision()).as("a compaction makes no revision").isEqualTo(4);

    reopen();
    assertThat(store.compactRevision()).isEqualTo(3);
    assertThat(valuesAt(3)).containsExactly(Map.entry("a", "2"));
  }

  @Test
  void aTxnRangeAtAPastRevisionReadsHistory() throws KvException {
    put("a", "1"); // 2
    put("a", "2"); // 3
    var response =
        applyOk(
                command(
                    TxnRequest.newBuilder()
                        .addSuccess(op(rangeRequest("a").setRevision(2)))
                        .addSuccess(op(putRequest("a", "3")))))
            .getResponseTxn();
    assertThat(text(response.getResponses(0).getResponseRange().getKvs(0).getValue()))
        .isEqualTo("1");
  }

  /**
   * Random puts, deletes and txns on a few keys, with compactions now and then; after each write
   * every revision not compacted reads as a model of the store recorded it, by single-key reads and
   * by ranges.
   */
  @Test
  void everyKeptRevisionReadsAsAModelRecordedIt() throws KvException {
    Random random = new Random(7);
    List<String> keyNames = List.of("a", "b", "ba", "c", "d\u00ff");
    Map<Long, TreeMap<String, String>> model = new TreeMap<>();
    TreeMap<String, String> now = new TreeMap<>();
    model.put(1L, new TreeMap<>(now));
    long compacted = 0;
    for (int step = 0; step < 120; step++) {
      String key = keyNames.get(random.nextInt(keyNames.size()));
      int kind = random.nextInt(10);
      long before = store.revision();
      if (kind < 6) {
        String value = "v" + step;
        put(key, value);
        now.put(key, value);
      } else if (kind < 8) {
        applyOk(command(deleteRequest(key)));
        now.remove(key);
      } else if (kind < 9) {
        applyOk(command(deleteRequest("b", "c")));
        now.keySet().removeIf(k -> k.compareTo("b") >= 0 && k.compareTo("c") < 0);
      } else {
        long target = compacted + 1 + random.nextInt((int) Math.max(1, before - compacted));
        if (target <= before) {
          compact(target);
          compacted = target;
        }
      }
      if (store.revision() != before) {
        model.put(store.revision(), new TreeMap<>(now));
      }
      for (long rev = Math.max(1, compacted); rev <= store.revision(); rev++) {
        TreeMap<String, String> expected = stateAt(model, rev);
        assertThat(valuesAt(rev)).as("step %d, revision %d", step, rev).isEqualTo(expected);
        for (String k : keyNames) {
          List<KeyValue> one = range(rangeRequest(k).setRevision(rev)).getKvsList();
          assertThat(one.isEmpty() ? null : text(one.get(0).getValue()))
              .as("step %d, key %s at %d", step, k, rev)
              .isEqualTo(expected.get(k));
        }
        assertThat(keys(range(rangeRequest("b", "c").setRevision(rev))))
            .isEqualTo(new ArrayList<>(expected.subMap("b", "c").keySet()));
      }
    }
  }

  private static TreeMap<String, String> stateAt(
      Map<Long, TreeMap<String, String>> model, long rev) {
    return ((TreeMap<Long, TreeMap<String, String>>) model).floorEntry(rev).getValue();
  }

  private Map<String, String> valuesAt(long revision) throws KvException {
    Map<String, String> values = new TreeMap<>();
    for (KeyValue kv :
        range(
                RangeRequest.newBuilder()
                    .setKey(bytes("\0"))
                    .setRangeEnd(bytes("\0"))
                    .setRevision(revision))
            .getKvsList()) {
      values.put(text(kv.getKey()), text(kv.getValue()));
    }
    return values;
  }

  private void compact(long revision) {
    applyOk(compactCommand(revision));
  }

  private static Command compactCommand(long revision) {
    return Command.newBuilder()
        .setCompaction(CompactionRequest.newBuilder().setRevision(revision))
        .build();
  }
}
