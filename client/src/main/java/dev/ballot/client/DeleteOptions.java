package dev.ballot.client;

/**
 * Options of a delete.
 *
 * @param prefix delete every key that starts with the given key instead of that key alone
 * @param prevKv whether the result carries the deleted keys with their last values
 */
public record DeleteOptions(boolean prefix, boolean prevKv) {

  /** One key, no previous values. */
  public static final DeleteOptions DEFAULT = new DeleteOptions(false, false);

  /**
   * Returns these options deleting a whole prefix.
   *
   * @return a copy with {@code prefix} set
   */
  public DeleteOptions withPrefix() {
    return new DeleteOptions(true, prevKv);
  }

  /**
   * Returns these options asking for the deleted key-values.
   *
   * @return a copy with {@code prevKv} set
   */
  public DeleteOptions withPrevKv() {
    return new DeleteOptions(prefix, true);
  }
}
