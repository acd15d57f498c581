package dev.ballot.client;

import java.util.Optional;

/**
 * The outcome of a compare-and-swap.
 *
 * @param succeeded whether the key matched and the new value was written
 * @param revision on success the revision of the write (the key's new mod revision); on failure the
 *     cluster revision at which the key was found not to match
 * @param current on failure the key as it was found, empty when it does not exist; always empty on
 *     success
 */
public record CasResult(boolean succeeded, long revision, Optional<KeyValue> current) {}
