package dev.spillway.gateway.request;

/** Where a request's answer came from: a backend, or somewhere that costs the tenant no tokens. */
public enum AnswerSource {

	/** A backend answered (or failed to). */
	BACKEND,

	/** The response cache answered (exactly or semantically). */
	CACHE,

	/** An earlier answer under the same {@code Idempotency-Key} was replayed. */
	REPLAY,

	/** The request was accepted as an async job (202); its tokens are charged when the job runs. */
	JOB_QUEUE;

	/** Whether the answer used a backend's tokens now. */
	public boolean usesTokens() {
		return this == BACKEND;
	}

}
