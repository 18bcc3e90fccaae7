package dev.spillway.gateway.cache;

import dev.spillway.gateway.wire.StoredAnswer;

/**
 * A semantic candidate the self-check did not serve: compared with the backend's answer once that is complete.
 *
 * @param pool the request's pool
 * @param similarity the candidate's similarity to the question
 * @param deterministic whether the request asked for temperature 0 (answers must then be equal)
 * @param candidate the answer the cache would have served
 */
record PendingCheck(String pool, double similarity, boolean deterministic, StoredAnswer candidate) {

}
