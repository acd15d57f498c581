package dev.ballot.raft;

import java.util.List;

/**
 * What the core asks its driver to do, in this order:
 *
 * <ol>
 *   <li>persist {@code snapshot} (if any), {@code entries} and {@code hardState} (if any) together
 *       in one write, synced when {@code mustSync} (new entries, a snapshot, a new term or vote). A
 *       change of the commit index alone need not be written at all: a restarted node learns the
 *       commit again, and its state machine's applied index is committed by definition. {@code
 *       entries} replace every stored entry at or after the first one's index;
 *   <li>send {@code messages}. They may depend on what step 1 persists (votes, acks), so they go
 *       out only after the sync; a leader may send its AppendEntries earlier because its own copy
 *       counts towards a commit only once {@link RaftNode#advance} reports it persisted;
 *   <li>install {@code snapshot} into the state machine, then apply {@code committedEntries} in
 *       order; serve {@code readStates} once their index is applied;
 *   <li>call {@link RaftNode#advance(Ready)} with this Ready.
 * </ol>
 */
public record Ready(
    SoftState softState,
    HardState hardState,
    SnapshotMeta snapshot,
    List<Entry> entries,
    List<Entry> committedEntries,
    List<Message> messages,
    List<ReadState> readStates,
    boolean mustSync) {

  public Ready {
    entries = List.copyOf(entries);
    committedEntries = List.copyOf(committedEntries);
    messages = List.copyOf(messages);
    readStates = List.copyOf(readStates);
  }
}
