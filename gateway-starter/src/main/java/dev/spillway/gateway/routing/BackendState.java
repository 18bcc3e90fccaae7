package dev.spillway.gateway.routing;

import java.util.concurrent.atomic.AtomicLong;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * What this instance knows about one backend right now: until when it is throttled (mirrored from Redis), what
 * its last answer said about remaining tokens, and its circuit breaker. Read on every choice, so everything is a
 * plain field read; written rarely.
 */
public final class BackendState {

	private final AtomicLong throttledUntilMillis = new AtomicLong();

	private final CircuitBreaker breaker;

	private final long openStateMillis;

	private volatile String throttleReason;

	private volatile long remainingTokens = -1;

	private volatile long remainingTokensUntilMillis;

	private volatile long circuitOpenedAtMillis;

	public BackendState(CircuitBreaker breaker, long openStateMillis) {
		this.breaker = breaker;
		this.openStateMillis = openStateMillis;
		breaker.getEventPublisher().onStateTransition(event -> {
			if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
				circuitOpenedAtMillis = System.currentTimeMillis();
			}
		});
	}

	/**
	 * Throttles the backend until {@code untilMillis}, unless it already is for longer: a later, shorter answer
	 * never cuts a longer live throttle. Returns whether the throttle was extended.
	 */
	public boolean extendThrottle(long untilMillis, String reason) {
		long previous = throttledUntilMillis.getAndAccumulate(untilMillis, Math::max);
		if (untilMillis > previous) {
			throttleReason = reason;
			return true;
		}
		return false;
	}

	public long throttledUntilMillis() {
		return throttledUntilMillis.get();
	}

	public String throttleReason() {
		return throttleReason;
	}

	/** Remembers what the backend's last answer said about its token budget ({@code x-ratelimit-*-tokens}). */
	public void remainingTokens(long remaining, long untilMillis) {
		this.remainingTokensUntilMillis = untilMillis;
		this.remainingTokens = remaining;
	}

	public long remainingTokens() {
		return remainingTokens;
	}

	/**
	 * When the backend can next take a request of {@code estimatedTokens}: now or earlier if it can, else the end
	 * of its throttle or, when its reported remaining tokens are fewer than the estimate, their reset.
	 */
	public long availableAtMillis(long nowMillis, long estimatedTokens) {
		long at = throttledUntilMillis.get();
		long remaining = remainingTokens;
		if (remaining >= 0 && remaining < estimatedTokens && remainingTokensUntilMillis > nowMillis) {
			at = Math.max(at, remainingTokensUntilMillis);
		}
		return at;
	}

	public CircuitBreaker breaker() {
		return breaker;
	}

	public boolean circuitOpen() {
		CircuitBreaker.State state = breaker.getState();
		return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
	}

	/** When an open circuit lets trial calls through again. */
	public long circuitHalfOpensAtMillis() {
		return circuitOpenedAtMillis + openStateMillis;
	}

}
