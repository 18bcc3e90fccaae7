package dev.spillway.gateway.idempotency;

import java.time.Duration;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * {@code Idempotency-Key} handling.
 */
@Validated
@ConfigurationProperties(prefix = "spillway.idempotency")
public class IdempotencyProperties {

	/** Whether {@code Idempotency-Key} is honoured on Spillway routes. */
	private boolean enabled = true;

	/** How long a completed answer is kept for replays. */
	@NotNull
	private Duration ttl = Duration.ofHours(24);

	/** How long a duplicate waits for the first request, still in flight, before it gets 409. */
	@NotNull
	private Duration waitTimeout = Duration.ofSeconds(60);

	/** How long an in-flight marker lives if its instance dies before the answer is complete. */
	@NotNull
	private Duration inFlightTtl = Duration.ofMinutes(10);

	/**
	 * How often a waiting duplicate looks at its twin's record even without an announcement (they come on Redis
	 * pub/sub; this covers one that was lost).
	 */
	@NotNull
	private Duration recheckInterval = Duration.ofSeconds(1);

	/** Most duplicates of one key that wait on one instance; one more gets 409 at once. */
	@Min(1)
	private int maxWaitersPerKey = 16;

	/** Most duplicates waiting on one instance, all keys together; one more gets 409 at once. */
	@Min(1)
	private int maxWaiters = 10_000;

	public Duration getRecheckInterval() {
		return recheckInterval;
	}

	public void setRecheckInterval(Duration recheckInterval) {
		this.recheckInterval = recheckInterval;
	}

	public int getMaxWaitersPerKey() {
		return maxWaitersPerKey;
	}

	public void setMaxWaitersPerKey(int maxWaitersPerKey) {
		this.maxWaitersPerKey = maxWaitersPerKey;
	}

	public int getMaxWaiters() {
		return maxWaiters;
	}

	public void setMaxWaiters(int maxWaiters) {
		this.maxWaiters = maxWaiters;
	}

	@AssertTrue(message = "recheck-interval must be positive")
	public boolean isRecheckIntervalPositive() {
		return recheckInterval == null || !recheckInterval.isNegative() && !recheckInterval.isZero();
	}

	public boolean isEnabled() {
		return enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Duration getTtl() {
		return ttl;
	}

	public void setTtl(Duration ttl) {
		this.ttl = ttl;
	}

	public Duration getWaitTimeout() {
		return waitTimeout;
	}

	public void setWaitTimeout(Duration waitTimeout) {
		this.waitTimeout = waitTimeout;
	}

	public Duration getInFlightTtl() {
		return inFlightTtl;
	}

	public void setInFlightTtl(Duration inFlightTtl) {
		this.inFlightTtl = inFlightTtl;
	}

}
