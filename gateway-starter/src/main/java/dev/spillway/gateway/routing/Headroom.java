package dev.spillway.gateway.routing;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What one backend last said about its room: tokens and requests left of its per-minute limits, when they are full
 * again, and (PTU deployments) how much of its capacity is in use. Learned from this instance's answers and, when
 * the proactive spill is on, from other instances' announcements; the newest observation wins.
 * <p>
 * Two readings of the same numbers. Reactive (the default): a backend that reported fewer tokens left than a request
 * needs is passed over until its reported reset. Proactive ({@code spillway.routing.headroom.proactive}): the
 * backend's budget refills linearly until its reset, as Azure's does, so it is passed over only until enough has
 * come back; each request this instance sends it is taken off what is left; a backend with no request left, or whose
 * utilization is at or above the configured level, is passed over too.
 */
final class Headroom {

	/** One observation; {@code -1} for a number the backend did not report, NaN for no utilization. */
	record Observation(long observedAtMillis, long tokensRemaining, long tokensLimit, long tokensFullAtMillis,
			long requestsRemaining, long requestsLimit, long requestsFullAtMillis, double utilization) {

		static final Observation NONE = new Observation(0, -1, -1, 0, -1, -1, 0, Double.NaN);

		/** This observation less {@code tokens} and {@code requests} sent since: counts may go below zero. */
		Observation less(long tokens, long requests) {
			if (tokens == 0 && requests == 0) {
				return this;
			}
			return new Observation(observedAtMillis, tokensRemaining < 0 ? -1 : tokensRemaining - tokens, tokensLimit,
					later(tokensFullAtMillis, tokens, tokensRemaining, tokensLimit),
					requestsRemaining < 0 ? -1 : requestsRemaining - requests, requestsLimit,
					later(requestsFullAtMillis, requests, requestsRemaining, requestsLimit), utilization);
		}

		private long later(long fullAt, long taken, long remaining, long limit) {
			double perMilli = refillPerMilli(observedAtMillis, remaining, limit, fullAt);
			return remaining < 0 || perMilli <= 0 || taken == 0 ? fullAt
					: Math.max(fullAt, observedAtMillis) + (long) Math.ceil(taken / perMilli);
		}

		/** The share of the token limit left, or NaN when the backend reported no limit. */
		double tokensLeftShare() {
			return tokensRemaining < 0 || tokensLimit <= 0 ? Double.NaN : Math.max(0, tokensRemaining) / (double) tokensLimit;
		}

	}

	private final boolean proactive;

	private final double utilizationLevel;

	private final long utilizationHoldMillis;

	private final double estimateMargin;

	/**
	 * The newest observation as reported (by the backend or another instance) and what this instance sent since:
	 * kept apart so that a count reserved below zero stays known, and a new report starts the count afresh.
	 */
	private record Reckoning(Observation reported, long tokensSent, long requestsSent) {

		static final Reckoning NONE = new Reckoning(Observation.NONE, 0, 0);

		Observation remaining() {
			return reported.less(tokensSent, requestsSent);
		}

	}

	private final AtomicReference<Reckoning> reckoning = new AtomicReference<>(Reckoning.NONE);

	Headroom() {
		this(false, 0, 0, 0);
	}

	Headroom(boolean proactive, double utilizationLevel, long utilizationHoldMillis) {
		this(proactive, utilizationLevel, utilizationHoldMillis, 0);
	}

	/**
	 * @param utilizationLevel percent of capacity at or above which the backend is passed over (0: never)
	 * @param utilizationHoldMillis how long a utilization reading is trusted without a newer one
	 * @param estimateMargin how much more than its estimate a request is taken to need (0.1: 10 %), for backends
	 * that count a request higher than the gateway's estimate
	 */
	Headroom(boolean proactive, double utilizationLevel, long utilizationHoldMillis, double estimateMargin) {
		this.estimateMargin = estimateMargin;
		this.proactive = proactive;
		this.utilizationLevel = utilizationLevel;
		this.utilizationHoldMillis = utilizationHoldMillis;
	}

	boolean proactive() {
		return proactive;
	}

	/** The newest observation less what this instance sent since (proactive reading only). */
	Observation last() {
		return reckoning.get().remaining();
	}

	/** Whether {@code observation}'s utilization is at or above the level at which the backend is passed over. */
	boolean overUtilizationLevel(Observation observation) {
		return utilizationLevel > 0 && observation.utilization() >= utilizationLevel;
	}

	/** Takes the backend's own {@code observation} unless a newer one is already known; returns whether it was taken. */
	boolean observe(Observation observation) {
		return take(observation, true);
	}

	/**
	 * Takes another instance's announcement only when it is strictly newer: an instance hears its own announcements
	 * too, and taking one again would forget what it sent since.
	 */
	boolean observeShared(Observation observation) {
		return take(observation, false);
	}

	private boolean take(Observation observation, boolean sameTimeTaken) {
		Reckoning previous = reckoning.getAndUpdate(known -> newer(observation, known.reported(), sameTimeTaken)
				? new Reckoning(observation, 0, 0) : known);
		return newer(observation, previous.reported(), sameTimeTaken);
	}

	private static boolean newer(Observation offered, Observation known, boolean sameTimeTaken) {
		return sameTimeTaken ? offered.observedAtMillis() >= known.observedAtMillis()
				: offered.observedAtMillis() > known.observedAtMillis();
	}

	/** The newest observation as it was reported, without what this instance sent since: what crossings compare. */
	Observation reported() {
		return reckoning.get().reported();
	}

	/** A request of {@code tokens} is on its way to the backend: the proactive reading takes it off what is left. */
	void reserve(long tokens) {
		if (proactive) {
			reckoning.updateAndGet(known -> known.reported() == Observation.NONE ? known
					: new Reckoning(known.reported(), known.tokensSent() + tokens, known.requestsSent() + 1));
		}
	}

	/** When, as far as the backend's reports tell, it has room for a request of {@code tokens}; now or earlier if it has. */
	long availableAtMillis(long nowMillis, long estimate) {
		long tokens = proactive ? (long) Math.ceil(estimate * (1 + estimateMargin)) : estimate;
		Reckoning known = reckoning.get();
		if (known.reported() == Observation.NONE) {
			return 0;
		}
		Observation o = proactive ? known.remaining() : known.reported();
		boolean tokensKnown = known.reported().tokensRemaining() >= 0;
		boolean requestsKnown = known.reported().requestsRemaining() >= 0;
		long at = 0;
		if (tokensKnown && o.tokensRemaining() < tokens && o.tokensFullAtMillis() > nowMillis) {
			at = proactive ? refilledAt(o.observedAtMillis(), o.tokensRemaining(), o.tokensLimit(),
					o.tokensFullAtMillis(), tokens) : o.tokensFullAtMillis();
		}
		if (!proactive) {
			return at;
		}
		if (requestsKnown && o.requestsRemaining() < 1 && o.requestsFullAtMillis() > nowMillis) {
			at = Math.max(at, refilledAt(o.observedAtMillis(), o.requestsRemaining(), o.requestsLimit(),
					o.requestsFullAtMillis(), 1));
		}
		if (overUtilizationLevel(o) && o.observedAtMillis() + utilizationHoldMillis > nowMillis) {
			at = Math.max(at, o.observedAtMillis() + utilizationHoldMillis);
		}
		return at;
	}

	/**
	 * When a budget that had {@code remaining} of {@code limit} at {@code observedAt} and is full at {@code fullAt}
	 * holds {@code needed}, refilling at an even rate; the full time when the limit is unknown.
	 */
	private static long refilledAt(long observedAt, long remaining, long limit, long fullAt, long needed) {
		double perMilli = refillPerMilli(observedAt, remaining, limit, fullAt);
		if (perMilli <= 0 || needed > limit) {
			return fullAt;
		}
		return Math.min(fullAt, observedAt + (long) Math.ceil((needed - remaining) / perMilli));
	}

	/**
	 * How fast a budget comes back: what is missing over the time until it is full, as the backend reported them;
	 * the limit over a minute (OpenAI's and Azure's limits are per minute) when it reported itself full; 0 when the
	 * limit is unknown.
	 */
	private static double refillPerMilli(long observedAt, long remaining, long limit, long fullAt) {
		if (limit <= 0) {
			return 0;
		}
		if (remaining < limit && fullAt > observedAt) {
			return (limit - remaining) / (double) (fullAt - observedAt);
		}
		return limit / 60_000.0;
	}

}
