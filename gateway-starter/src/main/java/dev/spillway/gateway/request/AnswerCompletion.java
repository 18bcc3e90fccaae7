package dev.spillway.gateway.request;

import org.springframework.core.Ordered;

/**
 * A capability's part of the work at the end of an answer: a circuit breaker learns the outcome, the tenant is
 * charged, the answer is cached or kept for its idempotency key, metrics and the log line are written. Beans of
 * this type are called in {@link #getOrder() order} once per request whose answer's body ended (completed, failed or
 * cancelled), on the thread the body ended on: they must not block. A completion that throws is logged and the
 * others still run.
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

	/** Called once the answer's body has ended. */
	void bodyEnded(EndedAnswer answer);

}
