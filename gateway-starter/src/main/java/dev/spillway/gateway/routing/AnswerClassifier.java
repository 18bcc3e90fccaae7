package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.Set;

import org.springframework.http.HttpHeaders;

/**
 * What a backend's answer means for the request, before any byte of it reaches the client. Pure: it reads the
 * status, the backend's headers and the start of an error body, nothing else. The failover filter acts on the
 * verdict: plan, call, classify, next attempt.
 */
final class AnswerClassifier {

	/** What to do with an answer. */
	sealed interface Verdict permits Throttled, QuotaExhausted, ContextTooLong, FailOver, PassThrough {
	}

	/** A 429 for load: the backend asked to be left alone for {@code backOff} (clamped); try elsewhere or wait. */
	record Throttled(Duration backOff) implements Verdict {
	}

	/** A 429 {@code insufficient_quota}: billing, not load; the backend is out for the configured quota duration. */
	record QuotaExhausted(Duration backOff) implements Verdict {
	}

	/** A 400 {@code context_length_exceeded} on a pool with a larger-context fallback. */
	record ContextTooLong() implements Verdict {
	}

	/** A status configured to fail over (a 5xx): count against the backend's circuit and try the next one. */
	record FailOver(int status) implements Verdict {
	}

	/** The answer goes to the client as it is. */
	record PassThrough() implements Verdict {
	}

	private static final int TOO_MANY_REQUESTS = 429;

	private static final int BAD_REQUEST = 400;

	private final Set<Integer> failoverStatuses;

	private final ThrottleDurations durations;

	private final Duration quotaExhaustedDuration;

	AnswerClassifier(Set<Integer> failoverStatuses, ThrottleDurations durations, Duration quotaExhaustedDuration) {
		this.failoverStatuses = Set.copyOf(failoverStatuses);
		this.durations = durations;
		this.quotaExhaustedDuration = quotaExhaustedDuration;
	}

	/**
	 * Whether the verdict depends on the start of the answer's body: a 429 (quota or load) and, where the pool has a
	 * context fallback, a 400. No other body is read before it reaches the client.
	 */
	boolean needsBody(int status, boolean contextFallback) {
		return status == TOO_MANY_REQUESTS || status == BAD_REQUEST && contextFallback;
	}

	/** The classifier the routing settings describe. */
	static AnswerClassifier from(RoutingProperties routing) {
		RoutingProperties.Throttle throttle = routing.getThrottle();
		return new AnswerClassifier(java.util.Set.copyOf(routing.getFailoverStatuses()),
				new ThrottleDurations(throttle.getDefaultDuration(), throttle.getMinDuration(), throttle.getMaxDuration()),
				throttle.getQuotaExhaustedDuration());
	}

	/**
	 * @param status the answer's status
	 * @param headers the backend's own headers
	 * @param bodyStart the start of the body when {@link #needsBody} said so, else ignored
	 * @param contextFallback whether the pool has a larger-context fallback
	 * @param nowMillis the current time, for an HTTP-date {@code retry-after}
	 */
	Verdict classify(int status, HttpHeaders headers, String bodyStart, boolean contextFallback, long nowMillis) {
		if (status == TOO_MANY_REQUESTS) {
			return bodyStart != null && bodyStart.contains("insufficient_quota") ? new QuotaExhausted(quotaExhaustedDuration)
					: new Throttled(durations.of(headers, bodyStart, nowMillis));
		}
		if (status == BAD_REQUEST && contextFallback && bodyStart != null
				&& bodyStart.contains("context_length_exceeded")) {
			return new ContextTooLong();
		}
		if (failoverStatuses.contains(status)) {
			return new FailOver(status);
		}
		return new PassThrough();
	}

}
