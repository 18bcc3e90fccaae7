package dev.spillway.gateway.idempotency;

import dev.spillway.gateway.wire.StoredAnswer;

/**
 * What Redis holds for one idempotency key: a marker while the first request is in flight, then its answer.
 *
 * @param state {@value #PENDING} or {@value #DONE}
 * @param fingerprint hash of the request the key was first used with
 * @param status the answer's status
 * @param stream whether the answer was streamed (it is replayed the same way)
 * @param json the answer's body when it was not streamed
 * @param answer the streamed answer, normalised for replay
 * @param token while {@value #PENDING}: the claim's own random token, so that no two claims write the same value
 */
record IdempotencyRecord(String state, String fingerprint, int status, boolean stream, String json,
		StoredAnswer answer, String token) {

	public static final String PENDING = "pending";

	public static final String DONE = "done";

	static IdempotencyRecord pending(String fingerprint, String token) {
		return new IdempotencyRecord(PENDING, fingerprint, 0, false, null, null, token);
	}

	boolean done() {
		return DONE.equals(state);
	}

}
