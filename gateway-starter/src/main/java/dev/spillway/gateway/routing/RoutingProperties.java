package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import dev.spillway.gateway.core.PoolProperties.Fallback;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Failover, throttling, circuit breaking and model routing rules. Each rule's pool is checked against the configured
 * pools at start-up.
 */
@Validated
@ConfigurationProperties(prefix = "spillway.routing")
public class RoutingProperties {

	/**
	 * Backend statuses, besides 429, after which the request is sent to the next backend (before any byte has
	 * reached the client). Connection failures and response-header timeouts always fail over.
	 */
	@NotNull
	private List<Integer> failoverStatuses = new ArrayList<>(List.of(500, 502, 503, 504));

	/** Model routing rules, tried in order; the first that matches decides the pool and model. */
	@Valid
	private List<RoutingRule> rules = new ArrayList<>();

	public List<RoutingRule> getRules() {
		return rules;
	}

	public void setRules(List<RoutingRule> rules) {
		this.rules = rules;
	}

	/** Whether responses carry {@code x-spillway-backend} naming the backend that served them. */
	private boolean backendHeader = true;

	/**
	 * When every backend of a pool is throttled: the most the advised wait may exceed the pool's earliest
	 * recovery. Requests refused together are spread evenly over it, so they do not all return at once.
	 */
	@NotNull
	private Duration retrySpread = Duration.ofSeconds(5);

	public Duration getRetrySpread() {
		return retrySpread;
	}

	public void setRetrySpread(Duration retrySpread) {
		this.retrySpread = retrySpread;
	}

	/** How long a 429 takes a backend out. */
	@Valid
	private Throttle throttle = new Throttle();

	/** Per-backend circuit breakers (Resilience4j). */
	@Valid
	private CircuitBreaker circuitBreaker = new CircuitBreaker();

	public List<Integer> getFailoverStatuses() {
		return failoverStatuses;
	}

	public void setFailoverStatuses(List<Integer> failoverStatuses) {
		this.failoverStatuses = failoverStatuses;
	}

	public boolean isBackendHeader() {
		return backendHeader;
	}

	public void setBackendHeader(boolean backendHeader) {
		this.backendHeader = backendHeader;
	}

	/** How a backend that recovered from a throttle or an open circuit takes its traffic back. */
	@Valid
	private SlowStart slowStart = new SlowStart();

	/** How backends' reports of their room (x-ratelimit-remaining-*, PTU utilization) steer the choice. */
	@Valid
	private Headroom headroom = new Headroom();

	public Headroom getHeadroom() {
		return headroom;
	}

	public void setHeadroom(Headroom headroom) {
		this.headroom = headroom;
	}

	public SlowStart getSlowStart() {
		return slowStart;
	}

	public void setSlowStart(SlowStart slowStart) {
		this.slowStart = slowStart;
	}

	public Throttle getThrottle() {
		return throttle;
	}

	public void setThrottle(Throttle throttle) {
		this.throttle = throttle;
	}

	public CircuitBreaker getCircuitBreaker() {
		return circuitBreaker;
	}

	public void setCircuitBreaker(CircuitBreaker circuitBreaker) {
		this.circuitBreaker = circuitBreaker;
	}

	@AssertTrue(message = "failover-statuses must be HTTP statuses from 400 to 599, other than 429")
	public boolean isFailoverStatusesValid() {
		return failoverStatuses.stream().allMatch(s -> s != null && s >= 400 && s <= 599 && s != 429);
	}

	/**
	 * Most of a backend's 429 or 400 body read to tell a quota error or a context-length error apart; the rest
	 * is not read.
	 */
	@NotNull
	private DataSize maxErrorBodySize = DataSize.ofKilobytes(16);

	public DataSize getMaxErrorBodySize() {
		return maxErrorBodySize;
	}

	public void setMaxErrorBodySize(DataSize maxErrorBodySize) {
		this.maxErrorBodySize = maxErrorBodySize;
	}

	@AssertTrue(message = "max-error-body-size must be between 1KB and 16MB")
	public boolean isMaxErrorBodySizeInRange() {
		return maxErrorBodySize == null || maxErrorBodySize.toBytes() >= 1024
				&& maxErrorBodySize.toBytes() <= DataSize.ofMegabytes(16).toBytes();
	}

	/** How long a 429 takes a backend out of rotation. */
	public static class Throttle {

		/** Used when a 429 says nothing usable about when to come back. */
		@NotNull
		private Duration defaultDuration = Duration.ofSeconds(10);

		/** Shortest throttle, whatever the backend says. */
		@NotNull
		private Duration minDuration = Duration.ofMillis(100);

		/** Longest throttle, whatever the backend says (trial quotas have asked for 86400 s). */
		@NotNull
		private Duration maxDuration = Duration.ofSeconds(120);

		/** How long a 429 {@code insufficient_quota} (billing, not load) takes the backend out. */
		@NotNull
		private Duration quotaExhaustedDuration = Duration.ofHours(1);

		public Duration getDefaultDuration() {
			return defaultDuration;
		}

		public void setDefaultDuration(Duration defaultDuration) {
			this.defaultDuration = defaultDuration;
		}

		public Duration getMinDuration() {
			return minDuration;
		}

		public void setMinDuration(Duration minDuration) {
			this.minDuration = minDuration;
		}

		public Duration getMaxDuration() {
			return maxDuration;
		}

		public void setMaxDuration(Duration maxDuration) {
			this.maxDuration = maxDuration;
		}

		public Duration getQuotaExhaustedDuration() {
			return quotaExhaustedDuration;
		}

		public void setQuotaExhaustedDuration(Duration quotaExhaustedDuration) {
			this.quotaExhaustedDuration = quotaExhaustedDuration;
		}

		@AssertTrue(message = "throttle durations must satisfy 0 <= min-duration <= default-duration <= max-duration")
		public boolean isRangeValid() {
			return minDuration != null && defaultDuration != null && maxDuration != null && !minDuration.isNegative()
					&& minDuration.compareTo(defaultDuration) <= 0 && defaultDuration.compareTo(maxDuration) <= 0;
		}

	}

	/**
	 * Spill before the 429. Off, a backend whose last answer reported fewer tokens left than a request needs is
	 * passed over until its reported reset (this instance's answers only). On ({@code proactive}), its budgets are
	 * read as refilling evenly until their reset, every request sent is taken off what it has left, no request left
	 * or utilization at or above {@code utilization-level} passes it over too, and what it reports is announced to
	 * every instance whenever it crosses a level.
	 */
	public static class Headroom {

		/** Whether headroom is read proactively and shared across instances. */
		private boolean proactive;

		/**
		 * Shares of a backend's token limit: when what it reports it has left crosses one of them (either way),
		 * the report is announced to every instance. Announcing only then keeps Redis traffic per crossing, not per
		 * answer.
		 */
		@NotNull
		private List<Double> shareLevels = new ArrayList<>(List.of(0.5, 0.25, 0.1, 0.05));

		/**
		 * Utilization in percent (Azure's azure-openai-deployment-utilization, sent by PTU deployments) at or above
		 * which a backend is passed over for its group's others or the next group; 0 turns it off. Proactive only.
		 */
		@jakarta.validation.constraints.DecimalMin("0.0")
		@jakarta.validation.constraints.DecimalMax("100.0")
		private double utilizationLevel;

		/**
		 * How much more than the gateway's estimate a request is taken to need when compared with what a backend
		 * reported left (0.1: 10 % more), for backends that count requests higher than the estimate. Proactive only.
		 */
		@jakarta.validation.constraints.DecimalMin("0.0")
		@jakarta.validation.constraints.DecimalMax("10.0")
		private double estimateMargin;

		public double getEstimateMargin() {
			return estimateMargin;
		}

		public void setEstimateMargin(double estimateMargin) {
			this.estimateMargin = estimateMargin;
		}

		/** How long a utilization reading at or above the level passes its backend over without a newer one. */
		@NotNull
		private Duration utilizationHold = Duration.ofSeconds(1);

		public boolean isProactive() {
			return proactive;
		}

		public void setProactive(boolean proactive) {
			this.proactive = proactive;
		}

		public List<Double> getShareLevels() {
			return shareLevels;
		}

		public void setShareLevels(List<Double> shareLevels) {
			this.shareLevels = shareLevels;
		}

		public double getUtilizationLevel() {
			return utilizationLevel;
		}

		public void setUtilizationLevel(double utilizationLevel) {
			this.utilizationLevel = utilizationLevel;
		}

		public Duration getUtilizationHold() {
			return utilizationHold;
		}

		public void setUtilizationHold(Duration utilizationHold) {
			this.utilizationHold = utilizationHold;
		}

		@AssertTrue(message = "share-levels must be between 0 and 1")
		public boolean isShareLevelsValid() {
			return shareLevels.stream().allMatch(l -> l != null && l > 0 && l < 1);
		}

		double[] shareLevelArray() {
			return shareLevels.stream().mapToDouble(Double::doubleValue).toArray();
		}

	}

	/**
	 * Slow start: for {@code window} after a backend recovers (its throttle ended, or its circuit closed), its share
	 * of the requests it would be chosen for ramps linearly from {@code initial-share} to all of them; the rest go
	 * to the others of its priority group, or to the next group. Off (a zero window) by default.
	 */
	public static class SlowStart {

		/** How long the ramp lasts; 0 turns slow start off. */
		@NotNull
		private Duration window = Duration.ZERO;

		/** The share a backend takes the moment it recovers. */
		@jakarta.validation.constraints.DecimalMin("0.0")
		@jakarta.validation.constraints.DecimalMax("1.0")
		private double initialShare = 0.1;

		public Duration getWindow() {
			return window;
		}

		public void setWindow(Duration window) {
			this.window = window;
		}

		public double getInitialShare() {
			return initialShare;
		}

		public void setInitialShare(double initialShare) {
			this.initialShare = initialShare;
		}

	}

	/** Resilience4j circuit breaker settings applied to every backend (each backend has its own breaker). */
	public static class CircuitBreaker {

		/** Failure percentage at or above which the breaker opens. */
		@Min(1)
		@jakarta.validation.constraints.Max(100)
		private int failureRateThreshold = 50;

		/** Number of most recent calls the failure rate is computed over. */
		@Min(1)
		private int slidingWindowSize = 20;

		/** Calls needed before the failure rate counts. */
		@Min(1)
		private int minimumNumberOfCalls = 10;

		/** How long an open breaker keeps its backend out before letting trial calls through. */
		@NotNull
		private Duration waitDurationInOpenState = Duration.ofSeconds(30);

		/** Trial calls let through while half open. */
		@Min(1)
		private int permittedCallsInHalfOpenState = 2;

		public int getFailureRateThreshold() {
			return failureRateThreshold;
		}

		public void setFailureRateThreshold(int failureRateThreshold) {
			this.failureRateThreshold = failureRateThreshold;
		}

		public int getSlidingWindowSize() {
			return slidingWindowSize;
		}

		public void setSlidingWindowSize(int slidingWindowSize) {
			this.slidingWindowSize = slidingWindowSize;
		}

		public int getMinimumNumberOfCalls() {
			return minimumNumberOfCalls;
		}

		public void setMinimumNumberOfCalls(int minimumNumberOfCalls) {
			this.minimumNumberOfCalls = minimumNumberOfCalls;
		}

		public Duration getWaitDurationInOpenState() {
			return waitDurationInOpenState;
		}

		public void setWaitDurationInOpenState(Duration waitDurationInOpenState) {
			this.waitDurationInOpenState = waitDurationInOpenState;
		}

		public int getPermittedCallsInHalfOpenState() {
			return permittedCallsInHalfOpenState;
		}

		public void setPermittedCallsInHalfOpenState(int permittedCallsInHalfOpenState) {
			this.permittedCallsInHalfOpenState = permittedCallsInHalfOpenState;
		}

	}

	/** A model routing rule: when every condition set under {@code when} holds, the request goes to the pool. */
	public static class RoutingRule extends Fallback {

		/** Conditions; unset ones always hold. */
		@Valid
		private Conditions when = new Conditions();

		public Conditions getWhen() {
			return when;
		}

		public void setWhen(Conditions when) {
			this.when = when;
		}

	}

	/** Conditions of a routing rule. */
	public static class Conditions {

		/** The {@code x-spillway-task} request header equals this (case-insensitive). */
		private String task;

		/** The tenant's tier is this. */
		private String tier;

		/** The requested model (or Azure deployment name) is this. */
		private String model;

		/** The request arrived on a route to this pool. */
		private String pool;

		/** The prompt has at most this many tokens. */
		@Min(0)
		private Long maxPromptTokens;

		/** The prompt has at least this many tokens. */
		@Min(0)
		private Long minPromptTokens;

		public String getTask() {
			return task;
		}

		public void setTask(String task) {
			this.task = task;
		}

		public String getTier() {
			return tier;
		}

		public void setTier(String tier) {
			this.tier = tier;
		}

		public String getModel() {
			return model;
		}

		public void setModel(String model) {
			this.model = model;
		}

		public String getPool() {
			return pool;
		}

		public void setPool(String pool) {
			this.pool = pool;
		}

		public Long getMaxPromptTokens() {
			return maxPromptTokens;
		}

		public void setMaxPromptTokens(Long maxPromptTokens) {
			this.maxPromptTokens = maxPromptTokens;
		}

		public Long getMinPromptTokens() {
			return minPromptTokens;
		}

		public void setMinPromptTokens(Long minPromptTokens) {
			this.minPromptTokens = minPromptTokens;
		}

	}

}
