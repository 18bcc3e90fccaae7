package dev.spillway.gateway.limit;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;

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

	/**
	 * How long the end of an answer waits for the tenant's charge to be settled in Redis once its usage is known, so
	 * the client's next request finds its refund; past it (or with Redis away) the end goes and the settlement
	 * finishes in the background. {@code 0} settles in the background only.
	 */
	@NotNull
	private Duration settleTimeout = Duration.ofMillis(50);

	/** How a request that sets no output cap reserves its completion. */
	@Valid
	private Reservation reservation = new Reservation();

	/** Waiting, instead of refusing, for a request that does not fit only because of tokens other requests hold. */
	@Valid
	private WaitForHeld waitForHeld = new WaitForHeld();

	/** Spend budgets: when their days and months renew, and what a model without a price costs. */
	@Valid
	private Budgets budgets = new Budgets();

	public Budgets getBudgets() {
		return budgets;
	}

	public void setBudgets(Budgets budgets) {
		this.budgets = budgets;
	}

	public Duration getSettleTimeout() {
		return settleTimeout;
	}

	public void setSettleTimeout(Duration settleTimeout) {
		this.settleTimeout = settleTimeout;
	}

	public Reservation getReservation() {
		return reservation;
	}

	public void setReservation(Reservation reservation) {
		this.reservation = reservation;
	}

	public WaitForHeld getWaitForHeld() {
		return waitForHeld;
	}

	public void setWaitForHeld(WaitForHeld waitForHeld) {
		this.waitForHeld = waitForHeld;
	}

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

		/**
		 * Spend per day, in the currency of {@code spillway.pricing}, renewed at midnight in
		 * {@code spillway.limits.budgets.zone}. A tenant's budget: not for a model override.
		 */
		@PositiveOrZero
		private BigDecimal dailyBudget;

		/** Spend per calendar month, renewed on the 1st at midnight in {@code spillway.limits.budgets.zone}. */
		@PositiveOrZero
		private BigDecimal monthlyBudget;

		public BigDecimal getDailyBudget() {
			return dailyBudget;
		}

		public void setDailyBudget(BigDecimal dailyBudget) {
			this.dailyBudget = dailyBudget;
		}

		public BigDecimal getMonthlyBudget() {
			return monthlyBudget;
		}

		public void setMonthlyBudget(BigDecimal monthlyBudget) {
			this.monthlyBudget = monthlyBudget;
		}

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

	/**
	 * The completion reserved for a request without {@code max_tokens} / {@code max_output_tokens}: learned from the
	 * completions this instance recently saw for the tenant and model, between a floor and the ceiling
	 * ({@code spillway.limits.default-completion-reservation}, also what a tenant with no history reserves).
	 */
	public static class Reservation {

		/** Whether reservations are learned; {@code false} reserves the ceiling for every such request. */
		private boolean learn = true;

		/** The least a learned reservation is. */
		@Min(1)
		private int floor = 64;

		/** The percentile of recent completion sizes reserved. */
		@Min(1)
		@Max(100)
		private int percentile = 95;

		/** How many recent completions are remembered per tenant and model. */
		@Min(1)
		private int history = 64;

		/** How many tenant and model pairs this instance remembers completions for (least recently used go first). */
		@Min(1)
		private int maxTracked = 10_000;

		/**
		 * How many requests of one tenant and model may be in flight on this instance with a learned reservation below
		 * the ceiling; more reserve the ceiling. This bounds what a tenant that trained its reservation down with short
		 * answers can take unreserved with long ones.
		 */
		@Min(0)
		private int maxLearnedInFlight = 4;

		public boolean isLearn() {
			return learn;
		}

		public void setLearn(boolean learn) {
			this.learn = learn;
		}

		public int getFloor() {
			return floor;
		}

		public void setFloor(int floor) {
			this.floor = floor;
		}

		public int getPercentile() {
			return percentile;
		}

		public void setPercentile(int percentile) {
			this.percentile = percentile;
		}

		public int getHistory() {
			return history;
		}

		public void setHistory(int history) {
			this.history = history;
		}

		public int getMaxTracked() {
			return maxTracked;
		}

		public void setMaxTracked(int maxTracked) {
			this.maxTracked = maxTracked;
		}

		public int getMaxLearnedInFlight() {
			return maxLearnedInFlight;
		}

		public void setMaxLearnedInFlight(int maxLearnedInFlight) {
			this.maxLearnedInFlight = maxLearnedInFlight;
		}

	}

	/**
	 * A request that does not fit the tokens per minute while the tenant's requests in flight (on any instance) hold
	 * enough reserved tokens to make room waits for their refunds instead of being refused at once.
	 */
	public static class WaitForHeld {

		/** The longest a request waits; {@code 0} refuses at once. */
		@NotNull
		private Duration maxWait = Duration.ofSeconds(2);

		/** How many requests of one tenant may wait on this instance; beyond it, a request is refused at once. */
		@Min(0)
		private int maxWaiters = 16;

		public Duration getMaxWait() {
			return maxWait;
		}

		public void setMaxWait(Duration maxWait) {
			this.maxWait = maxWait;
		}

		public int getMaxWaiters() {
			return maxWaiters;
		}

		public void setMaxWaiters(int maxWaiters) {
			this.maxWaiters = maxWaiters;
		}

	}

	/** How spend budgets ({@code daily-budget}, {@code monthly-budget}) count. */
	public static class Budgets {

		/** The time zone whose midnight renews daily budgets, and whose 1st of the month renews monthly ones. */
		@NotNull
		private ZoneId zone = ZoneOffset.UTC;

		/** What a request for a model without a price in {@code spillway.pricing} does under a budget. */
		@NotNull
		private UnpricedModels unpricedModels = UnpricedModels.REFUSE;

		/** With {@code unpriced-models: charge-default}: the price per million input tokens. */
		@PositiveOrZero
		private double defaultInputPerMillion;

		/** With {@code unpriced-models: charge-default}: the price per million output tokens. */
		@PositiveOrZero
		private double defaultOutputPerMillion;

		public ZoneId getZone() {
			return zone;
		}

		public void setZone(ZoneId zone) {
			this.zone = zone;
		}

		public UnpricedModels getUnpricedModels() {
			return unpricedModels;
		}

		public void setUnpricedModels(UnpricedModels unpricedModels) {
			this.unpricedModels = unpricedModels;
		}

		public double getDefaultInputPerMillion() {
			return defaultInputPerMillion;
		}

		public void setDefaultInputPerMillion(double defaultInputPerMillion) {
			this.defaultInputPerMillion = defaultInputPerMillion;
		}

		public double getDefaultOutputPerMillion() {
			return defaultOutputPerMillion;
		}

		/** Never free: {@code charge-default} needs a default price above 0. */
		@AssertTrue(message = "spillway.limits.budgets.unpriced-models: charge-default needs default-input-per-million or default-output-per-million above 0")
		public boolean isDefaultPriceSetWhenCharged() {
			return unpricedModels != UnpricedModels.CHARGE_DEFAULT || defaultInputPerMillion > 0
					|| defaultOutputPerMillion > 0;
		}

		public void setDefaultOutputPerMillion(double defaultOutputPerMillion) {
			this.defaultOutputPerMillion = defaultOutputPerMillion;
		}

	}

	/** What a request for a model without a price does under a spend budget: never free. */
	public enum UnpricedModels {

		/** Refused with 403 {@code model_not_priced}. */
		REFUSE,

		/** Charged {@code default-input-per-million} and {@code default-output-per-million}. */
		CHARGE_DEFAULT

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
