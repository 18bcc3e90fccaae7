package dev.spillway.gateway.limit;

/**
 * Effective limits of a tier, tenant or model; {@code null} means not limited.
 *
 * @param tokensPerMinute tokens (prompt plus completion) per minute, refilled continuously
 * @param requestsPerMinute requests per minute, refilled continuously
 * @param tokensPerDay tokens per day, renewed at midnight UTC
 */
record Limits(Long tokensPerMinute, Long requestsPerMinute, Long tokensPerDay) {

	static final Limits NONE = new Limits(null, null, null);

	static Limits of(LimitProperties.LimitValues values) {
		return new Limits(values.getTokensPerMinute(), values.getRequestsPerMinute(), values.getTokensPerDay());
	}

	/** These limits, with every unset one taken from {@code base}. */
	Limits over(Limits base) {
		return new Limits(tokensPerMinute != null ? tokensPerMinute : base.tokensPerMinute,
				requestsPerMinute != null ? requestsPerMinute : base.requestsPerMinute,
				tokensPerDay != null ? tokensPerDay : base.tokensPerDay);
	}

}
