package dev.spillway.gateway.idempotency;

import java.time.Duration;

/**
 * A request that owns an idempotency key: its answer, once complete, is kept for the key's repeats.
 *
 * @param redisKey where the record lives
 * @param fingerprint hash of the request the key was first used with
 * @param pendingValue the exact in-flight record this request wrote; completing or giving the key up succeeds only
 * while Redis still holds it, so a request that outlived its claim cannot touch the claim of the one that took over
 * @param ttl how long the answer is kept for the key (the route's, else the global one)
 */
record IdempotencyClaim(String redisKey, String fingerprint, String pendingValue, Duration ttl) {

}
