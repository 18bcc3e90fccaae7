package dev.spillway.gateway.error;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides the wait told to a refused request so that requests refused together do not all come back at the same
 * moment, when only one of them can fit. Each wait is at least the request's own wait (the time until it alone would
 * fit) and at most that plus a bounded extra.
 * <p>
 * Where the cost of one request in time is known (a tenant's bucket: tokens or requests over the refill rate),
 * refused requests are given consecutive slots — the first is told its own wait, the next the moment after the first
 * has taken its share and the bucket has refilled for it, and so on — until the extra would pass the bound; beyond
 * it, and where the cost is unknown (an exhausted pool), waits are spread evenly over the bound (a golden-ratio
 * sequence: deterministic, never two alike). Slots are per instance: with several instances, up to one request per
 * instance is told each slot. State is kept per key, at most {@value #MAX_KEYS} keys; keys whose slots lie in the
 * past are dropped first.
 */
public final class RetrySpread {

	static final int MAX_KEYS = 10_000;

	private static final double GOLDEN_RATIO_FRACTION = 0.6180339887498949;

	private final Clock clock;

	private final long maxExtraMillis;

	private final Map<String, Queue> queues = new ConcurrentHashMap<>();

	public RetrySpread(Clock clock, Duration maxExtra) {
		this.clock = clock;
		this.maxExtraMillis = Math.max(0, maxExtra.toMillis());
	}

	/**
	 * The wait to advise a request refused now.
	 *
	 * @param key what refused it (a tenant's bucket, a pool): requests refused by the same key are spread together
	 * @param ownWaitMillis the time until this request alone would fit
	 * @param costMillis the time the refusing key needs to make room for one more such request after it, or 0 when
	 * unknown
	 * @return the wait in milliseconds, in {@code [ownWaitMillis, ownWaitMillis + maxExtra]}
	 */
	public long advise(String key, long ownWaitMillis, long costMillis) {
		long own = Math.max(0, ownWaitMillis);
		if (maxExtraMillis == 0) {
			return own;
		}
		long now = clock.millis();
		long earliest = now + own;
		if (queues.size() >= MAX_KEYS) {
			queues.values().removeIf(queue -> queue.idleSince(now));
			if (queues.size() >= MAX_KEYS) {
				queues.clear();
			}
		}
		Queue queue = queues.computeIfAbsent(key, k -> new Queue());
		return queue.slot(earliest, Math.max(0, costMillis), maxExtraMillis) - now;
	}

	/** How many keys are kept (for tests of the bound). */
	int keys() {
		return queues.size();
	}

	/** The refusals of one key: the next free slot and how many were spread evenly. */
	private static final class Queue {

		private long nextSlotMillis;

		private long spread;

		synchronized long slot(long earliest, long costMillis, long maxExtraMillis) {
			if (costMillis > 0) {
				long slot = Math.max(earliest, nextSlotMillis);
				if (slot - earliest <= maxExtraMillis) {
					nextSlotMillis = slot + costMillis;
					return slot;
				}
			}
			// Past the bound the first spread wait must not repeat the first slot (the request's own wait).
			long index = costMillis > 0 ? ++spread : spread++;
			double fraction = (index * GOLDEN_RATIO_FRACTION) % 1.0;
			return earliest + Math.round(fraction * maxExtraMillis);
		}

		synchronized boolean idleSince(long now) {
			return nextSlotMillis <= now;
		}

	}

}
