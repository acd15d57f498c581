package dev.ballot.kv;

import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeRequest.SortOrder;
import dev.ballot.etcd.api.RangeRequest.SortTarget;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.mvcc.KeyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * Answers a {@link RangeRequest} from a {@link KeySpace} as etcd's {@code executeRange} does:
 * {@code count} is every key of the range (before the revision filters and the limit), {@code more}
 * says the limit cut the filtered, sorted result. The caller sets the header.
 */
final class RangeQuery {
  private RangeQuery() {}

  static RangeResponse.Builder run(KeySpace space, RangeRequest request) throws KvException {
    return run(space, request, new ResponseBytes());
  }

  /** Runs the range, counting what it holds against {@code budget}. */
  static RangeResponse.Builder run(KeySpace space, RangeRequest request, ResponseBytes budget)
      throws KvException {
    long limit = request.getLimit();
    boolean fetchAll = !isDefaultOrdering(request) || hasRevisionFilters(request);
    // Without sorting or filtering, limit + 1 records are enough to tell whether there are more.
    long fetchLimit;
    if (request.getCountOnly()) {
      fetchLimit = 0;
    } else if (fetchAll || limit <= 0 || limit == Long.MAX_VALUE) {
      fetchLimit = Long.MAX_VALUE;
    } else {
      fetchLimit = limit + 1;
    }

    // A keys-only range holds no values, and sorting by value needs them only to compare.
    boolean dropValues =
        request.getKeysOnly() && !(fetchAll && request.getSortTarget() == SortTarget.VALUE);
    List<KeyValue> kvs = new ArrayList<>();
    long count;
    if (KeyRanges.isSingleKey(request.getRangeEnd())) {
      KeyValue kv = space.get(request.getKey());
      count = kv == null ? 0 : 1;
      if (kv != null && fetchLimit > 0) {
        kvs.add(kv);
      }
    } else {
      long[] total = {0};
      boolean[] overBudget = {false};
      space.scan(
          request.getKey().toByteArray(),
          KeyRanges.upperBound(request.getRangeEnd()),
          (key, position) -> {
            total[0]++;
            if (kvs.size() < fetchLimit) {
              KeyValue kv = KeySpace.decode(key, position.value());
              if (dropValues) {
                kv = kv.toBuilder().clearValue().build();
              }
              if (!budget.tryAdd(kv.getSerializedSize())) {
                overBudget[0] = true;
                return false;
              }
              kvs.add(kv);
            }
            return true;
          });
      if (overBudget[0]) {
        throw ResponseBytes.tooLarge();
      }
      count = total[0];
    }

    filter(kvs, request);
    sort(kvs, request);
    RangeResponse.Builder response = RangeResponse.newBuilder().setCount(count);
    List<KeyValue> page = kvs;
    if (limit > 0 && kvs.size() > limit) {
      page = kvs.subList(0, (int) limit);
      response.setMore(true);
    }
    for (KeyValue kv : page) {
      response.addKvs(request.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
    }
    return response;
  }

  /**
   * A read at {@code requested} (0 or less: the current revision) must name a revision that is
   * neither in the future nor before {@code compacted}, the oldest revision whose state is kept.
   */
  static void checkRevision(long requested, long current, long compacted) throws KvException {
    if (requested > current) {
      throw new KvException(KvError.FUTURE_REVISION);
    }
    if (requested > 0 && requested < compacted) {
      throw new KvException(KvError.COMPACTED);
    }
  }

  private static boolean isDefaultOrdering(RangeRequest request) {
    SortOrder order = request.getSortOrder();
    return order == SortOrder.NONE
        || (request.getSortTarget() == SortTarget.KEY && order == SortOrder.ASCEND);
  }

  private static boolean hasRevisionFilters(RangeRequest request) {
    return request.getMinModRevision() != 0
        || request.getMaxModRevision() != 0
        || request.getMinCreateRevision() != 0
        || request.getMaxCreateRevision() != 0;
  }

  // 0 means no bound; any other value, even negative, is a bound (as in etcd).
  private static void filter(List<KeyValue> kvs, RangeRequest request) {
    long maxMod = request.getMaxModRevision();
    long minMod = request.getMinModRevision();
    long maxCreate = request.getMaxCreateRevision();
    long minCreate = request.getMinCreateRevision();
    Predicate<KeyValue> outside =
        kv ->
            (maxMod != 0 && kv.getModRevision() > maxMod)
                || (minMod != 0 && kv.getModRevision() < minMod)
                || (maxCreate != 0 && kv.getCreateRevision() > maxCreate)
                || (minCreate != 0 && kv.getCreateRevision() < minCreate);
    kvs.removeIf(outside);
  }

  /**
   * etcd's rule: a target other than KEY with no order sorts ascending. The sort is stable, so
   * records that tie keep key order (etcd leaves ties unspecified).
   */
  private static void sort(List<KeyValue> kvs, RangeRequest request) {
    SortTarget target = request.getSortTarget();
    SortOrder order = request.getSortOrder();
    if (target != SortTarget.KEY && order == SortOrder.NONE) {
      order = SortOrder.ASCEND;
    }
    if (order == SortOrder.NONE || (target == SortTarget.KEY && order == SortOrder.ASCEND)) {
      return;
    }
    if (target == SortTarget.KEY && order == SortOrder.DESCEND) {
      Collections.reverse(kvs);
      return;
    }
    Comparator<KeyValue> ascending = comparator(target);
    kvs.sort(order == SortOrder.DESCEND ? ascending.reversed() : ascending);
  }

  private static Comparator<KeyValue> comparator(SortTarget target) {
    return switch (target) {
      case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
      case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
      case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
      case VALUE -> Comparator.comparing(KeyValue::getValue, KeyRanges.ORDER);
        // An unknown target (etcd panics on it) sorts by key.
      case KEY, UNRECOGNIZED -> Comparator.comparing(KeyValue::getKey, KeyRanges.ORDER);
    };
  }
}
