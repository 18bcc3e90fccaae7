package dev.spillway.gateway.limit;

import io.github.bucket4j.BucketConfiguration;

/**
 * The limits that apply to one tenant — or to one tenant and model, where that model has limits of its own — and
 * the buckets that enforce them: one for tokens (per minute and per day), one for requests (per minute).
 *
 * @param tenant the tenant id
 * @param scope what the buckets count for: the tenant, or {@code tenant/model}
 * @param values the effective limits
 * @param tokens the token bucket's configuration, or {@code null} when tokens are not limited
 * @param requests the request bucket's configuration, or {@code null} when requests are not limited
 * @param tokensKey Redis key of the token bucket
 * @param requestsKey Redis key of the request bucket
 */
record LimitPlan(String tenant, String scope, Limits values, BucketConfiguration tokens,
		BucketConfiguration requests, String tokensKey, String requestsKey) {

	/** Index of the per-minute bandwidth in the token bucket, or -1. */
	int tokensPerMinuteBandwidth() {
		return values.tokensPerMinute() == null ? -1 : 0;
	}

	/** Index of the per-day bandwidth in the token bucket, or -1. */
	int tokensPerDayBandwidth() {
		if (values.tokensPerDay() == null) {
			return -1;
		}
		return values.tokensPerMinute() == null ? 0 : 1;
	}

	/** Redis key of the count of tokens the scope's requests in flight hold, in the buckets' hash slot. */
	String heldKey() {
		return tokensKey.substring(0, tokensKey.length() - "tokens".length()) + "held";
	}

	boolean unlimited() {
		return tokens == null && requests == null && !values.hasBudget();
	}

}
