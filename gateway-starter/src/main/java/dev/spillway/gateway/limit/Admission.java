package dev.spillway.gateway.limit;

/**
 * The outcome of admitting one request against its tenant's limits, and what the {@code x-ratelimit-*} headers
 * say about it. Values are -1 where the dimension is not limited or not known.
 *
 * @param plan the limits that applied
 * @param verdict whether the request may go on, and if not why
 * @param requestedTokens tokens the request asked for (prompt plus completion reservation), 0 when none were asked
 * @param reservedTokens tokens taken at admission (prompt plus completion reservation), settled after the answer
 * @param where which buckets were used
 * @param retryAfterNanos for a refusal: when the request would fit
 * @param tokensRemaining tokens left in the per-minute bandwidth
 * @param tokensResetNanos time until the per-minute token bandwidth is full again
 * @param requestsRemaining requests left in the per-minute bandwidth
 * @param requestsResetNanos time until the per-minute request bandwidth is full again
 */
record Admission(LimitPlan plan, Verdict verdict, long requestedTokens, long reservedTokens, Where where, long retryAfterNanos,
		long tokensRemaining, long tokensResetNanos, long requestsRemaining, long requestsResetNanos) {

	/** Whether the request may go on, and if not, which limit stopped it. */
	public enum Verdict {

		ADMITTED, TOKENS_PER_MINUTE, REQUESTS_PER_MINUTE, TOKENS_PER_DAY, LIMITS_UNAVAILABLE

	}

	/** Which buckets enforced the admission. */
	public enum Where {

		/** The shared buckets in Redis. */
		SHARED,

		/** This instance's share, in memory (Redis unreachable, policy {@code local}). */
		LOCAL,

		/** Nothing (no limits, or Redis unreachable with policy {@code fail-open} or {@code fail-closed}). */
		NONE

	}

	public boolean admitted() {
		return verdict == Verdict.ADMITTED;
	}

	static Admission notEnforced(LimitPlan plan, Verdict verdict) {
		return new Admission(plan, verdict, 0, 0, Where.NONE, 0, -1, -1, -1, -1);
	}

}
