package dev.spillway.gateway.request;

import org.springframework.core.Ordered;

/**
 * A capability's part of the work at the end of an answer: a circuit breaker learns the outcome, the tenant is
 * charged, the answer is cached or kept for its idempotency key, metrics and the log line are written. Three phases,
 * each called on the beans in {@link #getOrder() order}: {@link #answerIdentified} as soon as the backend's id for
 * an answer it stores has been read (a Responses API response: its {@code response.created} event, or its JSON
 * answer as it passes), {@link #usageKnown} once the answer's usage has been read
 * (which may be before its last bytes reach the client; not at all for an answer that reports none), and
 * {@link #bodyEnded} once per request whose answer's body ended (completed, failed or cancelled). Both run on the
 * thread that read the answer: they must not block. A completion that throws is logged and the others still run.
 */
public interface AnswerCompletion extends Ordered {

	/** Order of the circuit breaker's outcome. */
	int BREAKER = 100;

	/** Order of the tenant's charge. */
	int LIMITS = 200;

	/** Order of storing in the cache. */
	int CACHE = 300;

	/** Order of keeping the answer for its idempotency key. */
	int IDEMPOTENCY = 400;

	/** Order of metrics. */
	int METRICS = 500;

	/** Order of the request log line. */
	int LOG = 600;

	/** Called at most once, as soon as the id of an answer the backend stores is known. */
	default void answerIdentified(LlmExchange llm, String answerId) {
	}

	/** Called once, as soon as the answer's usage is known. */
	default void usageKnown(KnownUsage usage) {
	}

	/** Called once the answer's body has ended. */
	void bodyEnded(EndedAnswer answer);

}
