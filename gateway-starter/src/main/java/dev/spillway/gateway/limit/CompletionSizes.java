package dev.spillway.gateway.limit;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The completion sizes this instance recently saw per tenant and model, and the reservation they suggest for a
 * request that sets no output cap: a high percentile of the last answers, between a floor and the request's ceiling.
 * A pair with no history reserves the ceiling. Kept per instance, not in Redis: learning costs no round trip, and an
 * instance that has not seen a tenant yet reserves the ceiling, which is safe. At most
 * {@code maxLearnedInFlight} requests of a pair are in flight here with a learned reservation below the ceiling;
 * the others reserve the ceiling, so what a tenant can take unreserved is bounded.
 * <p>
 * Bounded: {@code maxTracked} pairs, least recently used first out, each with {@code history} sizes.
 */
final class CompletionSizes {

	private final int history;

	private final int percentile;

	private final int floor;

	private final int maxLearnedInFlight;

	private final Map<String, Sizes> byPair;

	CompletionSizes(int history, int percentile, int floor, int maxTracked, int maxLearnedInFlight) {
		this.history = history;
		this.percentile = percentile;
		this.floor = floor;
		this.maxLearnedInFlight = maxLearnedInFlight;
		this.byPair = new LinkedHashMap<>(64, 0.75f, true) {

			@Override
			protected boolean removeEldestEntry(Map.Entry<String, Sizes> eldest) {
				return size() > maxTracked;
			}

		};
	}

	/** The reservation for a request of {@code tenant} and {@code model} that sets no output cap. */
	Reserved reserve(String tenant, String model, long ceiling) {
		Sizes sizes = sizes(tenant, model);
		long learned = sizes.suggest();
		long tokens = learned < 0 ? ceiling : Math.min(ceiling, Math.max(floor, learned));
		if (tokens >= ceiling) {
			return new Reserved(ceiling, sizes, false);
		}
		if (sizes.learnedInFlight.incrementAndGet() > maxLearnedInFlight) {
			sizes.learnedInFlight.decrementAndGet();
			return new Reserved(ceiling, sizes, false);
		}
		return new Reserved(tokens, sizes, true);
	}

	private Sizes sizes(String tenant, String model) {
		String pair = tenant + '\u0000' + (model == null ? "" : model);
		synchronized (byPair) {
			return byPair.computeIfAbsent(pair, p -> new Sizes(history));
		}
	}

	/** Pairs remembered (for tests of the bound). */
	int tracked() {
		synchronized (byPair) {
			return byPair.size();
		}
	}

	/** A request's reservation: the completion tokens it reserves, and its place among the learned ones in flight. */
	static final class Reserved {

		private final long tokens;

		private final Sizes sizes;

		private final boolean belowCeiling;

		private final AtomicBoolean ended = new AtomicBoolean();

		Reserved(long tokens, Sizes sizes, boolean belowCeiling) {
			this.tokens = tokens;
			this.sizes = sizes;
			this.belowCeiling = belowCeiling;
		}

		/** Completion tokens to reserve. */
		long tokens() {
			return tokens;
		}

		/** Whether it counts among the pair's learned reservations in flight. */
		boolean belowCeiling() {
			return belowCeiling;
		}

		/** Remembers the size of the request's answer. */
		void answered(long completionTokens) {
			sizes.add(completionTokens);
		}

		/** The request is no longer in flight; only the first call counts. */
		void ended() {
			if (belowCeiling && ended.compareAndSet(false, true)) {
				sizes.learnedInFlight.decrementAndGet();
			}
		}

	}

	/** The last sizes of one pair, in a ring. */
	final class Sizes {

		private final long[] ring;

		private int next;

		private int count;

		final AtomicInteger learnedInFlight = new AtomicInteger();

		Sizes(int history) {
			this.ring = new long[history];
		}

		synchronized void add(long size) {
			ring[next] = Math.max(0, size);
			next = (next + 1) % ring.length;
			count = Math.min(count + 1, ring.length);
		}

		/** The percentile of the sizes seen, or -1 with none. */
		synchronized long suggest() {
			if (count == 0) {
				return -1;
			}
			long[] seen = Arrays.copyOf(ring, count);
			Arrays.sort(seen);
			int rank = (int) Math.ceil(percentile / 100.0 * count) - 1;
			return seen[Math.max(0, Math.min(count - 1, rank))];
		}

	}

}
