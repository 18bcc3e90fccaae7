package dev.spillway.gateway.idempotency;

/**
 * A request that owns an idempotency key: its answer, once complete, is kept for the key's repeats.
 *
 * @param redisKey where the record lives
 * @param fingerprint hash of the request the key was first used with
 */
public record IdempotencyClaim(String redisKey, String fingerprint) {

}
