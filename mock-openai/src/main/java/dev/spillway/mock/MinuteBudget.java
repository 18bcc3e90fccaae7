package dev.spillway.mock;

/**
 * A continuously refilling budget like Azure OpenAI's: capacity per minute, refilled pro rata.
 * Synchronized because it is tiny and contention in a mock does not matter.
 */
final class MinuteBudget {

	private static final long NANOS_PER_MINUTE = 60_000_000_000L;

	private final long capacity;

	private double available;

	private long lastRefillNanos;

	MinuteBudget(long capacity) {
		this.capacity = capacity;
		this.available = capacity;
		this.lastRefillNanos = System.nanoTime();
	}

	boolean unlimited() {
		return capacity <= 0;
	}

	long capacity() {
		return capacity;
	}

	/** Takes {@code amount} when it fits and returns 0, else takes nothing and returns the nanos until it would fit. */
	synchronized long tryTake(long amount) {
		if (unlimited()) {
			return 0;
		}
		refill();
		if (available >= amount) {
			available -= amount;
			return 0;
		}
		double missing = Math.min(amount, capacity) - available;
		return Math.max(1_000_000L, (long) Math.ceil(missing * NANOS_PER_MINUTE / capacity));
	}

	/** Takes everything left, as a deployment that has just been busy would have nothing left. */
	synchronized void takeAll() {
		refill();
		available = 0;
	}

	synchronized long remaining() {
		if (unlimited()) {
			return Long.MAX_VALUE;
		}
		refill();
		return (long) available;
	}

	synchronized long nanosUntilFull() {
		if (unlimited()) {
			return 0;
		}
		refill();
		return (long) Math.ceil((capacity - available) * NANOS_PER_MINUTE / capacity);
	}

	private void refill() {
		long now = System.nanoTime();
		available = Math.min(capacity, available + (now - lastRefillNanos) * (double) capacity / NANOS_PER_MINUTE);
		lastRefillNanos = now;
	}

}
