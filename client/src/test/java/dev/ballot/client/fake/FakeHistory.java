package dev.ballot.client.fake;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.etcd.mvcc.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * etcd's history of changes for fake watch servers: one event per revision, a compact revision, and
 * subscribers told of each new event. Everything happens under this object's lock, so a subscriber
 * that replays the past and then subscribes misses nothing and sees nothing twice.
 */
public final class FakeHistory {
  private final List<Event> events = new ArrayList<>();
  private final Map<ByteString, KeyValue> current = new HashMap<>();
  private final List<Consumer<Event>> subscribers = new ArrayList<>();
  private long revision;
  private long compactRevision;

  /** Writes {@code key = value} (UTF-8) at the next revision, which it returns. */
  public synchronized long put(String key, String value) {
    ByteString k = utf8(key);
    KeyValue before = current.get(k);
    revision++;
    KeyValue after =
        KeyValue.newBuilder()
            .setKey(k)
            .setValue(utf8(value))
            .setCreateRevision(before == null ? revision : before.getCreateRevision())
            .setModRevision(revision)
            .setVersion(before == null ? 1 : before.getVersion() + 1)
            .build();
    current.put(k, after);
    Event.Builder event = Event.newBuilder().setType(Event.EventType.PUT).setKv(after);
    if (before != null) {
      event.setPrevKv(before);
    }
    append(event.build());
    return revision;
  }

  /** Deletes {@code key} at the next revision; returns it, or 0 when the key did not exist. */
  public synchronized long delete(String key) {
    KeyValue before = current.remove(utf8(key));
    if (before == null) {
      return 0;
    }
    revision++;
    append(
        Event.newBuilder()
            .setType(Event.EventType.DELETE)
            .setKv(KeyValue.newBuilder().setKey(before.getKey()).setModRevision(revision))
            .setPrevKv(before)
            .build());
    return revision;
  }

  /** Forgets the events before {@code revision}. */
  public synchronized void compact(long revision) {
    compactRevision = revision;
  }

  public synchronized long revision() {
    return revision;
  }

  synchronized long compactRevision() {
    return compactRevision;
  }

  /** The events from {@code fromRevision} on. */
  synchronized List<Event> since(long fromRevision) {
    int from = (int) Math.min(events.size(), Math.max(0, fromRevision - 1));
    return List.copyOf(events.subList(from, events.size()));
  }

  synchronized void subscribe(Consumer<Event> subscriber) {
    subscribers.add(subscriber);
  }

  synchronized void unsubscribe(Consumer<Event> subscriber) {
    subscribers.remove(subscriber);
  }

  private void append(Event event) {
    events.add(event);
    for (Consumer<Event> subscriber : List.copyOf(subscribers)) {
      subscriber.accept(event);
    }
  }

  private static ByteString utf8(String text) {
    return ByteString.copyFrom(text, StandardCharsets.UTF_8);
  }
}
