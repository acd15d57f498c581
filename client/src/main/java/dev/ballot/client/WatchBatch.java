package dev.ballot.client;

import java.util.List;

/**
 * The events of one watch response: one or more whole revisions, in revision order.
 *
 * @param events the events, never empty, revisions ascending (a transaction's changes share one)
 * @param revision the revision of the answering server when it sent them
 */
public record WatchBatch(List<WatchEvent> events, long revision) {

  /**
   * Copies the list so that the record stays immutable.
   *
   * @param events see the record description
   * @param revision see the record description
   */
  public WatchBatch {
    events = List.copyOf(events);
  }

  /**
   * The revision of the last event.
   *
   * @return the highest event revision
   */
  public long lastEventRevision() {
    return events.get(events.size() - 1).revision();
  }
}
