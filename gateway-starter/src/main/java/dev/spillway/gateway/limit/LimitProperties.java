package dev.spillway.gateway.limit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Tenant limits: tiers, the policy while Redis is down, and what refused requests are told. Every tenant's tier is
 * checked against these tiers at start-up. (The tokenizer settings under the same prefix are read by the request
 * reader: see {@code TokenizerProperties}.)
 */
@Validated
@ConfigurationProperties(prefix = "spillway.limits")
public class LimitProperties {

	/** Tiers by name. A tenant without a tier gets the tier named {@code default}, or no limits when there is none. */
	@Valid
	private Map<String, Tier> tiers = new LinkedHashMap<>();

	/** Admission policy while Redis cannot be reached. */
	@NotNull
	private RedisDownPolicy whenRedisDown = RedisDownPolicy.FAIL_OPEN;

	/** With {@code when-redis-down: local}: how many instances share the limits, so each enforces its share. */
	@Min(1)
	private int localInstances = 1;

	/** After Redis failed an admission, how long admissions apply the policy before trying Redis again. */
	@NotNull
	private Duration redisRetryInterval = Duration.ofSeconds(1);

	/**
	 * The most a refused request's advised wait may exceed the time until it alone would fit. Requests refused
	 * together by one bucket are told consecutive moments, each after the previous one's share has refilled, so
	 * they do not all come back at once; {@code 0} tells each only its own wait.
	 */
	@NotNull
	private Duration retrySpread = Duration.ofSeconds(20);

	public Duration getRetrySpread() {
		return retrySpread;
	}

	public void setRetrySpread(Duration retrySpread) {
		this.retrySpread = retrySpread;
	}

	public Map<String, Tier> getTiers() {
		return tiers;
	}

	public void setTiers(Map<String, Tier> tiers) {
		this.tiers = tiers;
	}

	public RedisDownPolicy getWhenRedisDown() {
		return whenRedisDown;
	}

	public void setWhenRedisDown(RedisDownPolicy whenRedisDown) {
		this.whenRedisDown = whenRedisDown;
	}

	public int getLocalInstances() {
		return localInstances;
	}

	public void setLocalInstances(int localInstances) {
		this.localInstances = localInstances;
	}

	public Duration getRedisRetryInterval() {
		return redisRetryInterval;
	}

	public void setRedisRetryInterval(Duration redisRetryInterval) {
		this.redisRetryInterval = redisRetryInterval;
	}

	/** Limits of a tier, tenant or model. An unset value is not limited (or inherits, for an override). */
	public static class LimitValues {

		/** Tokens (prompt plus completion) per minute, refilled continuously. */
		@Min(1)
		private Long tokensPerMinute;

		/** Requests per minute, refilled continuously. */
		@Min(1)
		private Long requestsPerMinute;

		/** Tokens per day, a quota that renews at midnight UTC. */
		@Min(1)
		private Long tokensPerDay;

		public Long getTokensPerMinute() {
			return tokensPerMinute;
		}

		public void setTokensPerMinute(Long tokensPerMinute) {
			this.tokensPerMinute = tokensPerMinute;
		}

		public Long getRequestsPerMinute() {
			return requestsPerMinute;
		}

		public void setRequestsPerMinute(Long requestsPerMinute) {
			this.requestsPerMinute = requestsPerMinute;
		}

		public Long getTokensPerDay() {
			return tokensPerDay;
		}

		public void setTokensPerDay(Long tokensPerDay) {
			this.tokensPerDay = tokensPerDay;
		}

	}

	/** A tier: the limits its tenants share by default, with optional per-model overrides. */
	public static class Tier extends LimitValues {

		/** Overrides for one model; such a model gets buckets of its own per tenant. */
		@Valid
		private Map<String, LimitValues> models = new LinkedHashMap<>();

		public Map<String, LimitValues> getModels() {
			return models;
		}

		public void setModels(Map<String, LimitValues> models) {
			this.models = models;
		}

	}

	/** What to do with admissions while Redis cannot be reached. */
	public enum RedisDownPolicy {

		/** Admit every request (limits are not enforced until Redis is back). */
		FAIL_OPEN,

		/** Refuse every request with 503 until Redis is back. */
		FAIL_CLOSED,

		/** Each instance enforces its share ({@code 1/local-instances}) of every limit in memory. */
		LOCAL

	}

}
