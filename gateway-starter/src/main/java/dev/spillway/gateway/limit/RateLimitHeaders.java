package dev.spillway.gateway.limit;

import java.util.List;

import org.springframework.http.HttpHeaders;

/**
 * The {@code x-ratelimit-*} headers OpenAI clients understand, describing the tenant's limits — never the
 * backend's, which are removed: they describe a deployment shared by every tenant.
 */
public final class RateLimitHeaders {

	public static final String LIMIT_TOKENS = "x-ratelimit-limit-tokens";

	public static final String REMAINING_TOKENS = "x-ratelimit-remaining-tokens";

	public static final String RESET_TOKENS = "x-ratelimit-reset-tokens";

	public static final String LIMIT_REQUESTS = "x-ratelimit-limit-requests";

	public static final String REMAINING_REQUESTS = "x-ratelimit-remaining-requests";

	public static final String RESET_REQUESTS = "x-ratelimit-reset-requests";

	private static final List<String> ALL = List.of(LIMIT_TOKENS, REMAINING_TOKENS, RESET_TOKENS, LIMIT_REQUESTS,
			REMAINING_REQUESTS, RESET_REQUESTS);

	private RateLimitHeaders() {
	}

	/** Removes the backend's rate-limit headers and, when the request was admitted against limits, adds the tenant's. */
	public static void replace(HttpHeaders headers, Admission admission) {
		ALL.forEach(headers::remove);
		if (admission == null) {
			return;
		}
		Long tokensPerMinute = admission.plan().values().getTokensPerMinute();
		if (tokensPerMinute != null && admission.tokensRemaining() >= 0) {
			headers.set(LIMIT_TOKENS, Long.toString(tokensPerMinute));
			headers.set(REMAINING_TOKENS, Long.toString(admission.tokensRemaining()));
			headers.set(RESET_TOKENS, goDuration(admission.tokensResetNanos()));
		}
		Long requestsPerMinute = admission.plan().values().getRequestsPerMinute();
		if (requestsPerMinute != null && admission.requestsRemaining() >= 0) {
			headers.set(LIMIT_REQUESTS, Long.toString(requestsPerMinute));
			headers.set(REMAINING_REQUESTS, Long.toString(admission.requestsRemaining()));
			headers.set(RESET_REQUESTS, goDuration(admission.requestsResetNanos()));
		}
	}

	/** A duration as OpenAI writes them: {@code 0s}, {@code 12ms}, {@code 1.5s}, {@code 6m0s}. */
	public static String goDuration(long nanos) {
		long millis = Math.max(0, (nanos + 999_999) / 1_000_000);
		if (millis == 0) {
			return "0s";
		}
		if (millis < 1000) {
			return millis + "ms";
		}
		long minutes = millis / 60_000;
		long restMillis = millis % 60_000;
		String seconds = restMillis % 1000 == 0 ? Long.toString(restMillis / 1000)
				: String.format(java.util.Locale.ROOT, "%.3f", restMillis / 1000.0).replaceAll("0+$", "");
		return minutes > 0 ? minutes + "m" + seconds + "s" : seconds + "s";
	}

}
