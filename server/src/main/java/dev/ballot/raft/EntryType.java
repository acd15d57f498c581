package dev.ballot.raft;

/** What a log entry carries. */
public enum EntryType {
  /** A client command for the state machine. */
  NORMAL,
  /** The empty entry a new leader appends so that it can commit entries of earlier terms. */
  NOOP,
  /** A cluster configuration change. */
  CONFIG
}
