package dev.ballot.client;

/** Whether a request may change data, which decides when it is safe to send it again. */
enum CallKind {
  /** Range, Status, MemberList, read-only Txn: repeating them changes nothing. */
  READ,
  /**
   * Put, DeleteRange, Txn with a write, MemberRemove, MemberPromote, MoveLeader: repeated only when
   * the first try provably did nothing.
   */
  WRITE
}
