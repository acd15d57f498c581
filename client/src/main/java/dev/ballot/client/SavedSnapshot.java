package dev.ballot.client;

/**
 * A backup written by {@link BallotClient#saveSnapshot}, verified after it was written.
 *
 * @param file where it is
 * @param fileBytes its size
 * @param revision the store revision it holds
 * @param keyCount how many keys it holds
 * @param sha256Hex its SHA-256 trailer, in hex
 */
public record SavedSnapshot(
    java.nio.file.Path file, long fileBytes, long revision, long keyCount, String sha256Hex) {}
