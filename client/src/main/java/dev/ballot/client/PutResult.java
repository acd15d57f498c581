package dev.ballot.client;

import java.util.Optional;

/**
 * The outcome of a put.
 *
 * @param revision the cluster revision the put created; the key's new mod revision
 * @param prevKv the key as it was before the put, when asked for with {@link
 *     PutOptions#withPrevKv()} and the key existed
 */
public record PutResult(long revision, Optional<KeyValue> prevKv) {}
