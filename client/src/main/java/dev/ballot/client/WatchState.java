package dev.ballot.client;

import dev.ballot.etcd.api.WatchCreateRequest;
import dev.ballot.etcd.mvcc.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One watch as the client keeps it across streams: what it asks for, the revision it resumes from,
 * and its id on the current stream. Confined to the thread of its {@link WatchStream}.
 *
 * <p>{@link #nextRevision} only rises: it is one past the last event delivered (or the revision a
 * progress notice vouched for), so that a watch created again from it neither repeats nor skips an
 * event; events below it that a server sends again are dropped.
 */
final class WatchState {
  static final long NO_SERVER_ID = -1;

  final long clientId;
  final Watch handle;
  final WatchListener listener;
  private final WatchOptions options;

  /** The first revision not yet delivered; 0 while a watch "from now" was never created. */
  private long nextRevision;

  /** The watch id on the current stream, or {@link #NO_SERVER_ID}. */
  long serverId = NO_SERVER_ID;

  boolean everCreated;
  boolean ended;

  WatchState(long clientId, Watch handle, WatchListener listener) {
    this.clientId = clientId;
    this.handle = handle;
    this.listener = listener;
    this.options = handle.options();
    this.nextRevision = options.startRevision();
  }

  long nextRevision() {
    return nextRevision;
  }

  /** The create request for the current stream: from the watch's start, or where it stopped. */
  WatchCreateRequest createRequest() {
    return options.toCreateRequest(nextRevision);
  }

  /**
   * A server created the watch at its revision {@code headerRevision}; a watch "from now" wants
   * everything after it, from here on and after every resume.
   *
   * @return true the first time the watch is created
   */
  boolean onCreated(long headerRevision) {
    if (nextRevision == 0) {
      advanceTo(headerRevision + 1);
    }
    boolean first = !everCreated;
    everCreated = true;
    return first;
  }

  /** The events not delivered before, in the client's types; moves past the last one. */
  List<WatchEvent> fresh(List<Event> events) {
    List<WatchEvent> fresh = new ArrayList<>(events.size());
    long last = 0;
    for (Event event : events) {
      long revision = event.getKv().getModRevision();
      if (revision < last) {
        throw new IllegalStateException(
            "watch events out of order: revision " + revision + " after " + last);
      }
      last = revision;
      if (revision >= nextRevision) {
        fresh.add(convert(event));
      }
    }
    if (!fresh.isEmpty()) {
      advanceTo(last + 1);
    }
    return fresh;
  }

  /** The server vouched that every event up to {@code revision} was sent. */
  void onProgress(long revision) {
    if (revision + 1 > nextRevision) {
      advanceTo(revision + 1);
    }
  }

  private void advanceTo(long revision) {
    nextRevision = revision;
    handle.setNextRevision(revision);
  }

  private static WatchEvent convert(Event event) {
    WatchEvent.Type type =
        event.getType() == Event.EventType.DELETE ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT;
    Optional<KeyValue> prev =
        event.hasPrevKv() ? Optional.of(Protos.keyValue(event.getPrevKv())) : Optional.empty();
    return new WatchEvent(type, Protos.keyValue(event.getKv()), prev);
  }
}
