package dev.ballot.client;

/**
 * The outcome of {@link BallotClient#increment}.
 *
 * @param value the counter's new value, as written
 * @param revision the revision of the write (the key's new mod revision)
 * @param attempts how many compare-and-swap transactions it took (1 without contention)
 */
public record IncrementResult(long value, long revision, int attempts) {}
