package dev.spillway.gateway.routing;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Decides, for one attempt of one request, what to do: use a backend now, wait for a preferred one that will
 * recover within the request's spill budget, or give up because everything is throttled or broken. A backend known
 * to take no request this large is passed over at once and never waited for. A backend that recovered less than
 * the slow-start window ago takes only its ramping share of the requests it would be chosen for; the rest go to
 * the others of its group or to the next group. Pure but for that random draw: it reads the backends' live state
 * and the clock it is given, nothing else.
 */
final class BackendPlanner {

	private BackendPlanner() {
	}

	/** What to do next. */
	public sealed interface Plan permits Use, Wait, Throttled, Unavailable, Exhausted {
	}

	/** Send the request to {@code backend} now. */
	public record Use(BackendInstance backend) implements Plan {
	}

	/** A more preferred backend recovers within the budget: wait {@code millis}, then plan again. */
	public record Wait(long millis) implements Plan {
	}

	/** Every usable backend is throttled beyond the budget; the earliest recovers in {@code retryAfterMillis}. */
	public record Throttled(long retryAfterMillis) implements Plan {
	}

	/** Every backend's circuit is open; the earliest lets trial calls through in {@code retryAfterMillis}. */
	public record Unavailable(long retryAfterMillis) implements Plan {
	}

	/** Every backend has already failed this request, or none can ever take a request this large. */
	public record Exhausted() implements Plan {
	}

	/**
	 * @param selector the pool's backends
	 * @param nowMillis the current time
	 * @param waitUntilMillis the latest time this request may wait until (its spill budget, capped by its deadline)
	 * @param estimatedTokens the request's token estimate, compared with the backends' reported remaining tokens
	 * @param excluded backends this request must not use again
	 */
	public static Plan plan(BackendSelector selector, long nowMillis, long waitUntilMillis, long estimatedTokens,
			Set<BackendInstance> excluded) {
		BackendInstance rampingDeclined = null;
		for (List<BackendInstance> group : selector.groups()) {
			Predicate<BackendInstance> usable = b -> !excluded.contains(b) && !b.state().circuitOpen()
					&& b.state().canEverTake(nowMillis, estimatedTokens)
					&& b.state().availableAtMillis(nowMillis, estimatedTokens) <= nowMillis;
			BackendInstance chosen = BackendSelector.chooseInGroup(group, usable);
			if (chosen != null) {
				double share = chosen.state().share(nowMillis);
				if (share >= 1 || ThreadLocalRandom.current().nextDouble() < share) {
					return new Use(chosen);
				}
				// A backend that recovered a moment ago takes only its share: the rest go to the others of its
				// group, else on to the next group — never to a wait for it.
				BackendInstance other = BackendSelector.chooseInGroup(group,
						b -> usable.test(b) && b.state().share(nowMillis) >= 1);
				if (other != null) {
					return new Use(other);
				}
				rampingDeclined = rampingDeclined == null ? chosen : rampingDeclined;
				continue;
			}
			long earliest = earliestRecovery(group, nowMillis, estimatedTokens, excluded);
			if (rampingDeclined == null && earliest != Long.MAX_VALUE && earliest <= waitUntilMillis) {
				return new Wait(Math.max(1, earliest - nowMillis));
			}
		}
		if (rampingDeclined != null) {
			// Nothing else could take it: the recovering backend does, rather than no one.
			return new Use(rampingDeclined);
		}
		long earliestThrottle = Long.MAX_VALUE;
		long earliestHalfOpen = Long.MAX_VALUE;
		for (BackendInstance backend : selector.backends()) {
			if (excluded.contains(backend) || !backend.state().canEverTake(nowMillis, estimatedTokens)) {
				continue;
			}
			if (backend.state().circuitOpen()) {
				earliestHalfOpen = Math.min(earliestHalfOpen, backend.state().circuitHalfOpensAtMillis());
			}
			else {
				earliestThrottle = Math.min(earliestThrottle,
						backend.state().availableAtMillis(nowMillis, estimatedTokens));
			}
		}
		if (earliestThrottle != Long.MAX_VALUE) {
			return new Throttled(Math.max(1, Math.min(earliestThrottle, earliestHalfOpen) - nowMillis));
		}
		if (earliestHalfOpen != Long.MAX_VALUE) {
			return new Unavailable(Math.max(1, earliestHalfOpen - nowMillis));
		}
		return new Exhausted();
	}

	private static long earliestRecovery(List<BackendInstance> group, long nowMillis, long estimatedTokens,
			Set<BackendInstance> excluded) {
		long earliest = Long.MAX_VALUE;
		for (BackendInstance backend : group) {
			if (!excluded.contains(backend) && !backend.state().circuitOpen()
					&& backend.state().canEverTake(nowMillis, estimatedTokens)) {
				earliest = Math.min(earliest, backend.state().availableAtMillis(nowMillis, estimatedTokens));
			}
		}
		return earliest;
	}

}
