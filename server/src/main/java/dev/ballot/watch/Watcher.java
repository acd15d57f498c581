package dev.ballot.watch;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.WatchCreateRequest;
import dev.ballot.etcd.mvcc.Event;
import java.util.ArrayList;
import java.util.List;

/**
 * One watcher: a key range, what it wants of each event, and the next revision it must receive. It
 * is either synced (the apply thread hands it each new revision) or catching up from history on the
 * hub's thread, never both; {@link #next} moves only forward, so each event goes out once.
 */
final class Watcher {
  private static final ByteString FROM_KEY = ByteString.copyFrom(new byte[] {0});

  final long id;
  final WatchStream stream;
  private final ByteString key;

  /** The exclusive end; empty: the key alone; {@code "\0"}: every key from {@link #key} on. */
  private final ByteString rangeEnd;

  private final boolean noPut;
  private final boolean noDelete;
  private final boolean prevKv;
  final boolean fragment;
  final boolean progressNotify;

  /** The next revision to send; every earlier one was sent (or filtered out). */
  volatile long next;

  /** Set once; a cancelled watcher sends nothing more. */
  volatile boolean cancelled;

  /** Whether a catch-up task is queued or running for it; guarded by the hub's lock. */
  boolean catchingUp;

  /** When it last sent a response (nanoTime), for progress notifications. */
  volatile long lastSentNanos;

  Watcher(long id, WatchStream stream, WatchCreateRequest request, long next) {
    this.id = id;
    this.stream = stream;
    this.key = request.getKey();
    this.rangeEnd = request.getRangeEnd();
    boolean noPut = false;
    boolean noDelete = false;
    for (WatchCreateRequest.FilterType filter : request.getFiltersList()) {
      noPut |= filter == WatchCreateRequest.FilterType.NOPUT;
      noDelete |= filter == WatchCreateRequest.FilterType.NODELETE;
    }
    this.noPut = noPut;
    this.noDelete = noDelete;
    this.prevKv = request.getPrevKv();
    this.fragment = request.getFragment();
    this.progressNotify = request.getProgressNotify();
    this.next = next;
    this.lastSentNanos = System.nanoTime();
  }

  /** The events of one revision this watcher wants, as it wants them (prev_kv or not). */
  List<Event> select(List<Event> events) {
    List<Event> mine = null;
    for (Event event : events) {
      Event wanted = select(event);
      if (wanted != null) {
        if (mine == null) {
          mine = new ArrayList<>();
        }
        mine.add(wanted);
      }
    }
    return mine == null ? List.of() : mine;
  }

  /** The event as this watcher wants it, or null if it does not want it. */
  Event select(Event event) {
    boolean put = event.getType() == Event.EventType.PUT;
    if ((put && noPut) || (!put && noDelete) || !covers(event.getKv().getKey())) {
      return null;
    }
    return prevKv || !event.hasPrevKv() ? event : event.toBuilder().clearPrevKv().build();
  }

  boolean covers(ByteString k) {
    if (rangeEnd.isEmpty()) {
      return k.equals(key);
    }
    if (ByteString.unsignedLexicographicalComparator().compare(k, key) < 0) {
      return false;
    }
    return rangeEnd.equals(FROM_KEY)
        || ByteString.unsignedLexicographicalComparator().compare(k, rangeEnd) < 0;
  }
}
