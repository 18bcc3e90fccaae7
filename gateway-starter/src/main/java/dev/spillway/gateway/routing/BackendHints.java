package dev.spillway.gateway.routing;

import java.time.Duration;

import dev.spillway.gateway.core.GoDurations;
import dev.spillway.gateway.core.OpenAiHeaders;

import org.springframework.http.HttpHeaders;

/**
 * What a backend's answer says about its headroom, remembered for the next requests: the tokens and requests it has
 * left until their reset and its utilization ({@link Headroom}; shared with every instance, when the proactive spill
 * is on, only when they cross a level), and the largest request it takes (shared with every instance through
 * {@link SharedThrottles}), read from {@code x-ratelimit-limit-tokens} or learned from a 429 to a request it
 * reported room for.
 */
final class BackendHints {

	/** How long a learned request-size limit is trusted before the backend is tried with a large request again. */
	static final Duration LEARNED_LIMIT_TTL = Duration.ofMinutes(10);

	private final SharedThrottles throttles;

	private final double[] shareLevels;

	BackendHints(SharedThrottles throttles) {
		this(throttles, new double[0]);
	}

	/**
	 * @param shareLevels shares of a backend's token limit (descending); when what it has left crosses one of them,
	 * or its utilization crosses the pass-over level, the observation is announced to every instance
	 */
	BackendHints(SharedThrottles throttles, double[] shareLevels) {
		this.throttles = throttles;
		this.shareLevels = shareLevels;
	}

	/** Remembers what an answer's headers say; call before {@link #learnTooLarge} with the state read before. */
	void remember(BackendInstance backend, HttpHeaders headers, long now) {
		rememberHeadroom(backend, headers, now);
		rememberRequestLimit(backend, headers, now);
	}

	private void rememberHeadroom(BackendInstance backend, HttpHeaders headers, long now) {
		Long tokens = number(headers.getFirst(OpenAiHeaders.REMAINING_TOKENS));
		Long requests = number(headers.getFirst(OpenAiHeaders.REMAINING_REQUESTS));
		double utilization = percent(headers.getFirst(OpenAiHeaders.DEPLOYMENT_UTILIZATION));
		if (tokens == null && requests == null && Double.isNaN(utilization)) {
			return;
		}
		Headroom headroom = backend.state().headroom();
		Headroom.Observation before = headroom.reported();
		Headroom.Observation observed = new Headroom.Observation(now, tokens == null ? -1 : tokens,
				orUnknown(number(headers.getFirst(OpenAiHeaders.LIMIT_TOKENS))),
				fullAt(headers.getFirst(OpenAiHeaders.RESET_TOKENS), now),
				requests == null ? -1 : requests, orUnknown(number(headers.getFirst(OpenAiHeaders.LIMIT_REQUESTS))),
				fullAt(headers.getFirst(OpenAiHeaders.RESET_REQUESTS), now), utilization);
		if (headroom.observe(observed) && headroom.proactive() && crossed(before, observed, headroom)) {
			throttles.shareHeadroom(backend, observed);
		}
	}

	/**
	 * Whether an observation is news for the other instances: what is left moved to another side of a share level,
	 * requests ran out or came back, or utilization crossed the level at which the backend is passed over.
	 */
	private boolean crossed(Headroom.Observation before, Headroom.Observation now, Headroom headroom) {
		if (band(before.tokensLeftShare()) != band(now.tokensLeftShare())) {
			return true;
		}
		if ((before.requestsRemaining() == 0) != (now.requestsRemaining() == 0) && now.requestsRemaining() >= 0) {
			return true;
		}
		return headroom.overUtilizationLevel(before) != headroom.overUtilizationLevel(now);
	}

	/** How many share levels {@code share} is below; -1 when unknown. */
	private int band(double share) {
		if (Double.isNaN(share)) {
			return -1;
		}
		int band = 0;
		for (double level : shareLevels) {
			if (share < level) {
				band++;
			}
		}
		return band;
	}

	private static long orUnknown(Long value) {
		return value == null ? -1 : value;
	}

	/** When a budget is full again, from its Go-duration reset; a minute from now when the backend did not say. */
	private static long fullAt(String reset, long now) {
		Duration duration = GoDurations.parse(reset);
		return now + (duration == null ? 60_000 : duration.toMillis());
	}

	/** A percentage such as {@code 87.5} or {@code 87.5%}, or NaN. */
	static double percent(String value) {
		if (value == null) {
			return Double.NaN;
		}
		String text = value.trim();
		if (text.endsWith("%")) {
			text = text.substring(0, text.length() - 1).trim();
		}
		try {
			double percent = Double.parseDouble(text);
			return Double.isFinite(percent) && percent >= 0 ? percent : Double.NaN;
		}
		catch (NumberFormatException ex) {
			return Double.NaN;
		}
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
	 * for it: remember that it takes nothing this large, whatever wait it advised. Not learned from a 429 that
	 * reports the backend's limit: that limit is what it takes.
	 */
	void learnTooLarge(BackendInstance backend, HttpHeaders headers, long remainingBefore, long estimate, long now) {
		String remainingRequests = headers.getFirst(OpenAiHeaders.REMAINING_REQUESTS);
		if (estimate <= 1 || remainingRequests != null && "0".equals(remainingRequests.trim())) {
			return;
		}
		if (number(headers.getFirst(OpenAiHeaders.LIMIT_TOKENS)) != null) {
			// The backend said what it takes: nothing to guess. (Its count of a request may exceed the estimate, so
			// a 429 with "room" left would otherwise teach a limit below what it really takes.)
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
