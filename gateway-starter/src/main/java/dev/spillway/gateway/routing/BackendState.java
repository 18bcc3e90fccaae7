package dev.spillway.gateway.routing;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * What this instance knows about one backend right now: until when it is throttled (mirrored from Redis), what
 * its last answer said about remaining tokens, and its circuit breaker. Read on every choice, so everything is a
 * plain field read; written rarely.
 */
final class BackendState {

	private final AtomicLong throttledUntilMillis = new AtomicLong();

	private final CircuitBreaker breaker;

	private final long openStateMillis;

	private volatile String throttleReason;

	private final Headroom headroom;

	/** Requests this instance sent the backend, and re-sent elsewhere after it failed them, since start. */
	private final java.util.concurrent.atomic.LongAdder requests = new java.util.concurrent.atomic.LongAdder();

	private final java.util.concurrent.atomic.LongAdder spills = new java.util.concurrent.atomic.LongAdder();

	private volatile long circuitOpenedAtMillis;

	private volatile long circuitClosedAtMillis;

	private final long slowStartMillis;

	private final double initialShare;

	private final long configuredMaxRequestTokens;

	private volatile long learnedMaxRequestTokens = -1;

	private volatile long learnedMaxRequestTokensUntilMillis;

	public BackendState(CircuitBreaker breaker, long openStateMillis) {
		this(breaker, openStateMillis, -1, Clock.systemUTC());
	}

	/**
	 * @param configuredMaxRequestTokens the largest request the backend can ever take, as configured, or -1
	 * @param clock stamps the circuit's opening, on the same time line as the plans made with it
	 */
	public BackendState(CircuitBreaker breaker, long openStateMillis, long configuredMaxRequestTokens, Clock clock) {
		this(breaker, openStateMillis, configuredMaxRequestTokens, clock, 0, 1);
	}

	/**
	 * @param slowStartMillis how long a recovered backend's share ramps up (0: it takes its full share at once)
	 * @param initialShare the share of its traffic a backend takes the moment it recovers
	 */
	public BackendState(CircuitBreaker breaker, long openStateMillis, long configuredMaxRequestTokens, Clock clock,
			long slowStartMillis, double initialShare) {
		this(breaker, openStateMillis, configuredMaxRequestTokens, clock, slowStartMillis, initialShare, new Headroom());
	}

	/** @param headroom how the backend's reports of its room are read */
	BackendState(CircuitBreaker breaker, long openStateMillis, long configuredMaxRequestTokens, Clock clock,
			long slowStartMillis, double initialShare, Headroom headroom) {
		this.headroom = headroom;
		this.slowStartMillis = slowStartMillis;
		this.initialShare = initialShare;
		this.breaker = breaker;
		this.openStateMillis = openStateMillis;
		this.configuredMaxRequestTokens = configuredMaxRequestTokens;
		breaker.getEventPublisher().onStateTransition(event -> {
			if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
				circuitOpenedAtMillis = clock.millis();
			}
			else if (event.getStateTransition().getToState() == CircuitBreaker.State.CLOSED) {
				circuitClosedAtMillis = clock.millis();
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

	void countRequest() {
		requests.increment();
	}

	void countSpill() {
		spills.increment();
	}

	long requests() {
		return requests.sum();
	}

	long spills() {
		return spills.sum();
	}

	/** What the backend's answers said about its room. */
	Headroom headroom() {
		return headroom;
	}

	/** The tokens its last answer said it had left (less what this instance sent since, when proactive), or -1. */
	public long remainingTokens() {
		return headroom.last().tokensRemaining();
	}

	/**
	 * Remembers, until {@code untilMillis}, that the backend takes no request larger than {@code maxTokens} (its
	 * per-minute token limit, reported or learned from a 429). Returns whether this changed what was known.
	 */
	public boolean learnMaxRequestTokens(long maxTokens, long untilMillis) {
		boolean changed = learnedMaxRequestTokens != maxTokens;
		this.learnedMaxRequestTokensUntilMillis = Math.max(untilMillis, learnedMaxRequestTokensUntilMillis);
		this.learnedMaxRequestTokens = maxTokens;
		return changed;
	}

	/** The largest request the backend is known to take at {@code nowMillis}, or -1 when nothing is known. */
	public long maxRequestTokens(long nowMillis) {
		if (configuredMaxRequestTokens > 0) {
			return configuredMaxRequestTokens;
		}
		return learnedMaxRequestTokensUntilMillis > nowMillis ? learnedMaxRequestTokens : -1;
	}

	/** Whether a request of {@code estimatedTokens} could ever be taken, as far as is known. */
	public boolean canEverTake(long nowMillis, long estimatedTokens) {
		long max = maxRequestTokens(nowMillis);
		return max < 0 || estimatedTokens <= max;
	}

	/**
	 * When the backend can next take a request of {@code estimatedTokens}: now or earlier if it can, else the end
	 * of its throttle or, when what it reported of its room cannot fit the request, when it will
	 * ({@link Headroom#availableAtMillis}).
	 */
	public long availableAtMillis(long nowMillis, long estimatedTokens) {
		return Math.max(throttledUntilMillis.get(), headroom.availableAtMillis(nowMillis, estimatedTokens));
	}

	/**
	 * The share of its traffic the backend takes at {@code nowMillis}: 1, unless it recovered less than the
	 * slow-start window ago — from a throttle, whose end every instance knows alike, or its circuit closing, which
	 * this instance saw — when it ramps linearly from the initial share.
	 */
	public double share(long nowMillis) {
		if (slowStartMillis <= 0) {
			return 1;
		}
		long throttleEnded = throttledUntilMillis.get();
		long recovered = Math.max(throttleEnded <= nowMillis ? throttleEnded : 0, circuitClosedAtMillis);
		long since = nowMillis - recovered;
		if (recovered <= 0 || since < 0 || since >= slowStartMillis) {
			return 1;
		}
		return initialShare + (1 - initialShare) * since / (double) slowStartMillis;
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
