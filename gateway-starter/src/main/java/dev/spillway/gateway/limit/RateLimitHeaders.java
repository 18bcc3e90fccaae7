package dev.spillway.gateway.limit;

import dev.spillway.gateway.core.GoDurations;
import dev.spillway.gateway.core.OpenAiHeaders;

import org.springframework.http.HttpHeaders;

/**
 * The {@code x-ratelimit-*} headers OpenAI clients understand, describing the tenant's limits (a backend's never
 * reach clients: the header allow-list drops them).
 */
final class RateLimitHeaders {

	private RateLimitHeaders() {
	}

	/** Sets the tenant's rate-limit headers from its admission. */
	static void set(HttpHeaders headers, Admission admission) {
		Long tokensPerMinute = admission.plan().values().tokensPerMinute();
		if (tokensPerMinute != null && admission.tokensRemaining() >= 0) {
			headers.set(OpenAiHeaders.LIMIT_TOKENS, Long.toString(tokensPerMinute));
			headers.set(OpenAiHeaders.REMAINING_TOKENS, Long.toString(admission.tokensRemaining()));
			headers.set(OpenAiHeaders.RESET_TOKENS, GoDurations.format(admission.tokensResetNanos()));
		}
		Long requestsPerMinute = admission.plan().values().requestsPerMinute();
		if (requestsPerMinute != null && admission.requestsRemaining() >= 0) {
			headers.set(OpenAiHeaders.LIMIT_REQUESTS, Long.toString(requestsPerMinute));
			headers.set(OpenAiHeaders.REMAINING_REQUESTS, Long.toString(admission.requestsRemaining()));
			headers.set(OpenAiHeaders.RESET_REQUESTS, GoDurations.format(admission.requestsResetNanos()));
		}
	}

}
