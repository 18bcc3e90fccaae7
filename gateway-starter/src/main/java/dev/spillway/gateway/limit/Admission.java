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
 * @param heldTokens tokens this admission counts among its scope's held tokens (see {@code HeldTokens}), or 0
 */
record Admission(LimitPlan plan, Verdict verdict, long requestedTokens, long reservedTokens, Where where, long retryAfterNanos,
		long tokensRemaining, long tokensResetNanos, long requestsRemaining, long requestsResetNanos, long heldTokens) {

	Admission(LimitPlan plan, Verdict verdict, long requestedTokens, long reservedTokens, Where where,
			long retryAfterNanos, long tokensRemaining, long tokensResetNanos, long requestsRemaining,
			long requestsResetNanos) {
		this(plan, verdict, requestedTokens, reservedTokens, where, retryAfterNanos, tokensRemaining, tokensResetNanos,
				requestsRemaining, requestsResetNanos, 0);
	}

	Admission withHeldTokens(long held) {
		return new Admission(plan, verdict, requestedTokens, reservedTokens, where, retryAfterNanos, tokensRemaining,
				tokensResetNanos, requestsRemaining, requestsResetNanos, held);
	}

	/**
	 * Whether less than half of the tenant's tokens per minute were left after this admission. Far from the limit,
	 * the next request fits whether or not this one's refund has landed: its end need not wait for its settlement, nor
	 * its reservation be counted as held.
	 */
	boolean nearLimit() {
		Long perMinute = plan.values().tokensPerMinute();
		return perMinute != null && tokensRemaining >= 0 && tokensRemaining * 2 < perMinute;
	}

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
