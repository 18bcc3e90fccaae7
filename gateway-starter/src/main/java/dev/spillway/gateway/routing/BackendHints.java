package dev.spillway.gateway.routing;

import java.time.Duration;

import dev.spillway.gateway.core.GoDurations;
import dev.spillway.gateway.core.OpenAiHeaders;

import org.springframework.http.HttpHeaders;

/**
 * What a backend's answer says about its headroom, remembered for the next requests: the tokens it has left until
 * its reset (this instance only), and the largest request it takes (shared with every instance through
 * {@link SharedThrottles}), read from {@code x-ratelimit-limit-tokens} or learned from a 429 to a request it
 * reported room for.
 */
final class BackendHints {

	/** How long a learned request-size limit is trusted before the backend is tried with a large request again. */
	static final Duration LEARNED_LIMIT_TTL = Duration.ofMinutes(10);

	private final SharedThrottles throttles;

	BackendHints(SharedThrottles throttles) {
		this.throttles = throttles;
	}

	/** Remembers what an answer's headers say; call before {@link #learnTooLarge} with the state read before. */
	void remember(BackendInstance backend, HttpHeaders headers, long now) {
		rememberRemainingTokens(backend, headers, now);
		rememberRequestLimit(backend, headers, now);
	}

	private static void rememberRemainingTokens(BackendInstance backend, HttpHeaders headers, long now) {
		Long remaining = number(headers.getFirst(OpenAiHeaders.REMAINING_TOKENS));
		if (remaining == null) {
			return;
		}
		Duration reset = GoDurations.parse(headers.getFirst(OpenAiHeaders.RESET_TOKENS));
		backend.state().remainingTokens(remaining, now + (reset == null ? 60_000 : reset.toMillis()));
	}

	/**
	 * A backend that reports its per-minute token limit takes no single request above it: share that, so every
	 * instance skips it at once for larger requests.
	 */
	private void rememberRequestLimit(BackendInstance backend, HttpHeaders headers, long now) {
		Long limit = number(headers.getFirst(OpenAiHeaders.LIMIT_TOKENS));
		if (limit != null) {
			throttles.requestLimit(backend, limit, now + LEARNED_LIMIT_TTL.toMillis());
		}
	}

	/**
	 * A 429 to a request the backend said it had room for (its remaining tokens, before or in this answer, were at
	 * least the request's estimate, and its requests were not what ran out) means the request itself is too large
	 * for it: remember that it takes nothing this large, whatever wait it advised.
	 */
	void learnTooLarge(BackendInstance backend, HttpHeaders headers, long remainingBefore, long estimate, long now) {
		String remainingRequests = headers.getFirst(OpenAiHeaders.REMAINING_REQUESTS);
		if (estimate <= 1 || remainingRequests != null && "0".equals(remainingRequests.trim())) {
			return;
		}
		Long reported = number(headers.getFirst(OpenAiHeaders.REMAINING_TOKENS));
		long remaining = reported == null ? remainingBefore : Math.max(remainingBefore, reported);
		if (remaining >= estimate) {
			long known = backend.state().maxRequestTokens(now);
			throttles.requestLimit(backend, known < 0 ? estimate - 1 : Math.min(known, estimate - 1),
					now + LEARNED_LIMIT_TTL.toMillis());
		}
	}

	/** A header's whole number, or {@code null}: a malformed hint is no hint. */
	private static Long number(String value) {
		if (value == null) {
			return null;
		}
		try {
			return Long.parseLong(value.trim());
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

}
