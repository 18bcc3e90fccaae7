package dev.spillway.gateway.cache;

import java.time.Duration;

/**
 * A cache miss waiting for its answer: where to store it, if the answer turns out complete and cacheable.
 *
 * @param scope tenant id, or {@code *} when entries are shared
 * @param keys the request's cache keys
 * @param ttl how long to keep the answer
 * @param vector the question's embedding, or {@code null}
 */
record PendingStore(String scope, CacheKeys keys, Duration ttl, float[] vector) {

}
