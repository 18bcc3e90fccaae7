package dev.spillway.gateway.routing;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.BackendProperties.AuthHeader;
import dev.spillway.gateway.core.BackendProperties.BackendType;
import dev.spillway.gateway.core.PoolDefinition;
import dev.spillway.gateway.routing.BackendPlanner.Exhausted;
import dev.spillway.gateway.routing.BackendPlanner.Plan;
import dev.spillway.gateway.routing.BackendPlanner.Throttled;
import dev.spillway.gateway.routing.BackendPlanner.Unavailable;
import dev.spillway.gateway.routing.BackendPlanner.Use;
import dev.spillway.gateway.routing.BackendPlanner.Wait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What the planner decides from the backends' live state: the most preferred group that can serve now, a wait only
 * for a preferred backend that recovers within the budget (never for one excluded, broken or too small for the
 * request), a weighted pick inside the group, and, when nothing serves, whether the pool is throttled, unavailable or
 * exhausted and for how long.
 */
class BackendPlannerTests {

	static final long NOW = Instant.parse("2026-12-01T10:00:00Z").toEpochMilli();

	/** The backends' clock: a circuit opened in a test opens at {@link #NOW}. */
	static final Clock OPENED_AT_NOW = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);

	static final long OPEN_STATE_MILLIS = 30_000;

	@Test
	void theMostPreferredGroupServesEvenWhenItIsConfiguredLast() {
		BackendSelector selector = selector(backend("paygo", 2, 1), backend("ptu", 1, 1));

		assertThat(used(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.of()))).isEqualTo("ptu");
	}

	@Test
	void aPreferredBackendThatRecoversWithinTheBudgetIsWaitedForWhileASpareIsFree() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		instance(selector, "ptu").state().extendThrottle(NOW + 400, "429");

		assertThat(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.of())).isEqualTo(new Wait(400));
	}

	@Test
	void theWaitIsForTheEarliestRecoveryInThePreferredGroup() {
		BackendSelector selector = selector(backend("a", 1, 1), backend("b", 1, 1), backend("spare", 2, 1));
		instance(selector, "a").state().extendThrottle(NOW + 800, "429");
		instance(selector, "b").state().extendThrottle(NOW + 300, "429");

		assertThat(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.of())).isEqualTo(new Wait(300));
	}

	@Test
	void aRecoveryAtTheEndOfTheBudgetIsWaitedForAndOneAMillisecondLaterSpills() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		instance(selector, "ptu").state().extendThrottle(NOW + 1000, "429");

		assertThat(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.of())).isEqualTo(new Wait(1000));
		assertThat(used(BackendPlanner.plan(selector, NOW, NOW + 999, 100, Set.of()))).isEqualTo("paygo");
	}

	@Test
	void aThrottledBackendIsUsedAgainOnceItsThrottleHasPassed() {
		BackendSelector selector = selector(backend("only", 1, 1));
		instance(selector, "only").state().extendThrottle(NOW + 500, "429");

		assertThat(BackendPlanner.plan(selector, NOW + 499, NOW + 499, 100, Set.of())).isEqualTo(new Throttled(1));
		assertThat(used(BackendPlanner.plan(selector, NOW + 500, NOW + 500, 100, Set.of()))).isEqualTo("only");
	}

	@Test
	void reportedRemainingTokensHoldBackOnlyARequestLargerThanThemAndOnlyUntilTheirReset() {
		BackendSelector selector = selector(backend("only", 1, 1));
		instance(selector, "only").state().headroom()
			.observe(new Headroom.Observation(NOW, 500, -1, NOW + 2000, -1, -1, 0, Double.NaN));

		assertThat(used(BackendPlanner.plan(selector, NOW, NOW, 500, Set.of()))).isEqualTo("only");
		assertThat(BackendPlanner.plan(selector, NOW, NOW, 501, Set.of())).isEqualTo(new Throttled(2000));
		assertThat(BackendPlanner.plan(selector, NOW, NOW + 2000, 501, Set.of())).isEqualTo(new Wait(2000));
		assertThat(used(BackendPlanner.plan(selector, NOW + 2000, NOW + 2000, 501, Set.of()))).isEqualTo("only");
	}

	@Test
	void aBackendThatCanNeverTakeTheRequestIsPassedOverAndNeverWaitedFor() {
		BackendSelector selector = selector(backend("ptu", 1, 1, 1000), backend("paygo", 2, 1));
		instance(selector, "ptu").state().extendThrottle(NOW + 100, "429");

		assertThat(BackendPlanner.plan(selector, NOW, NOW + 1000, 1000, Set.of())).isEqualTo(new Wait(100));
		assertThat(used(BackendPlanner.plan(selector, NOW, NOW + 1000, 1001, Set.of()))).isEqualTo("paygo");
	}

	@Test
	void aLearnedSizeLimitHoldsOnlyUntilItExpires() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		instance(selector, "ptu").state().learnMaxRequestTokens(1000, NOW + 60_000);

		assertThat(used(BackendPlanner.plan(selector, NOW + 59_999, NOW + 59_999, 2000, Set.of()))).isEqualTo("paygo");
		assertThat(used(BackendPlanner.plan(selector, NOW + 60_000, NOW + 60_000, 2000, Set.of()))).isEqualTo("ptu");
	}

	@Test
	void whenNoBackendCanEverTakeTheRequestThePlanIsExhaustedRatherThanThrottled() {
		BackendSelector selector = selector(backend("a", 1, 1, 1000), backend("b", 2, 1, 2000));
		instance(selector, "a").state().extendThrottle(NOW + 100, "429");
		instance(selector, "b").state().breaker().transitionToOpenState();

		assertThat(BackendPlanner.plan(selector, NOW, NOW + 1000, 2001, Set.of())).isEqualTo(new Exhausted());
	}

	@Test
	void anOpenCircuitIsPassedOverAndNotWaitedFor() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		instance(selector, "ptu").state().breaker().transitionToOpenState();

		assertThat(used(BackendPlanner.plan(selector, NOW, NOW + 60_000, 100, Set.of()))).isEqualTo("paygo");
	}

	@Test
	void excludedBackendsAreNeitherUsedNorWaitedFor() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		BackendInstance ptu = instance(selector, "ptu");

		assertThat(used(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.of(ptu)))).isEqualTo("paygo");
		ptu.state().extendThrottle(NOW + 100, "429");
		assertThat(used(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.of(ptu)))).isEqualTo("paygo");
	}

	@Test
	void whenEveryBackendHasFailedTheRequestThePlanIsExhaustedEvenIfOneIsOnlyThrottled() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		instance(selector, "paygo").state().extendThrottle(NOW + 100, "429");

		assertThat(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.copyOf(selector.backends())))
			.isEqualTo(new Exhausted());
	}

	@Test
	void aPoolWithoutBackendsIsExhausted() {
		assertThat(BackendPlanner.plan(selector(), NOW, NOW + 1000, 100, Set.of())).isEqualTo(new Exhausted());
	}

	@Test
	void whenEverythingIsThrottledBeyondTheBudgetTheEarliestRecoveryInAnyGroupIsTheRetryAfter() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		instance(selector, "ptu").state().extendThrottle(NOW + 5000, "429");
		instance(selector, "paygo").state().extendThrottle(NOW + 3000, "429");

		assertThat(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.of())).isEqualTo(new Throttled(3000));
	}

	@Test
	void aCircuitThatHalfOpensBeforeAnyThrottleEndsShortensTheRetryAfter() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		// The circuit opens at NOW on the states' clock, the plans' time line.
		instance(selector, "ptu").state().breaker().transitionToOpenState();
		instance(selector, "paygo").state().extendThrottle(NOW + 60_000, "429");

		Plan plan = BackendPlanner.plan(selector, NOW, NOW, 100, Set.of());

		assertThat(plan).isEqualTo(new Throttled(OPEN_STATE_MILLIS));
	}

	@Test
	void whenEveryCircuitIsOpenThePlanIsUnavailableUntilTheEarliestHalfOpens() {
		BackendSelector selector = selector(b -> b.id().equals("fast") ? 5_000 : 60_000, backend("slow", 1, 1),
				backend("fast", 2, 1));
		instance(selector, "slow").state().breaker().transitionToOpenState();
		instance(selector, "fast").state().breaker().transitionToOpenState();
		// A throttle on a broken backend does not make the pool merely throttled.
		instance(selector, "fast").state().extendThrottle(NOW + 1000, "429");

		Plan plan = BackendPlanner.plan(selector, NOW, NOW + 120_000, 100, Set.of());

		assertThat(plan).isEqualTo(new Unavailable(5_000));
	}

	@Test
	void aCircuitPastItsOpenStateIsRetriedAfterOneMillisecondNotAtOnce() {
		BackendSelector selector = selector(backend("only", 1, 1));
		instance(selector, "only").state().breaker().transitionToOpenState();
		long later = NOW + OPEN_STATE_MILLIS + 10_000;

		assertThat(BackendPlanner.plan(selector, later, later, 100, Set.of())).isEqualTo(new Unavailable(1));
	}

	@Test
	void weightsSplitTheChosenGroupAndTheNextGroupGetsNothing() {
		BackendSelector selector = selector(backend("a", 1, 3), backend("b", 1, 1), backend("spare", 2, 1));
		Map<String, Integer> counts = new HashMap<>();

		for (int i = 0; i < 4000; i++) {
			counts.merge(used(BackendPlanner.plan(selector, NOW, NOW, 100, Set.of())), 1, Integer::sum);
		}

		assertThat(counts.get("a") / 4000.0).isCloseTo(0.75, within(0.05));
		assertThat(counts.get("b") / 4000.0).isCloseTo(0.25, within(0.05));
		assertThat(counts).doesNotContainKey("spare");
	}

	@Test
	void aThrottledBackendTakesNoShareOfItsGroupHoweverHeavy() {
		BackendSelector selector = selector(backend("heavy", 1, 1000), backend("light", 1, 1));
		instance(selector, "heavy").state().extendThrottle(NOW + 5000, "429");

		for (int i = 0; i < 200; i++) {
			assertThat(used(BackendPlanner.plan(selector, NOW, NOW + 1000, 100, Set.of()))).isEqualTo("light");
		}
	}

	@Test
	void aBackendWhoseThrottleEndedRampsItsShareUpOverTheSlowStartWindowAndTheRestSpillsToTheNextGroup() {
		BackendSelector selector = slowStart(10_000, 0.1, backend("ptu", 1, 1), backend("paygo", 2, 1));
		instance(selector, "ptu").state().extendThrottle(NOW, "429");

		assertThat(share(selector, "ptu", NOW)).isCloseTo(0.10, within(0.03));
		assertThat(share(selector, "ptu", NOW + 5_000)).isCloseTo(0.55, within(0.03));
		assertThat(share(selector, "ptu", NOW + 10_000)).isEqualTo(1.0);
		assertThat(share(selector, "paygo", NOW)).isCloseTo(0.90, within(0.03));
	}

	@Test
	void withoutSlowStartABackendTakesAllItsTrafficTheMomentItsThrottleEnds() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));
		instance(selector, "ptu").state().extendThrottle(NOW, "429");

		assertThat(share(selector, "ptu", NOW)).isEqualTo(1.0);
	}

	@Test
	void insideAGroupTheOthersTakeWhatARecoveringBackendDeclines() {
		BackendSelector selector = slowStart(10_000, 0.1, backend("a", 1, 1), backend("b", 1, 1),
				backend("paygo", 2, 1));
		instance(selector, "b").state().extendThrottle(NOW, "429");

		assertThat(share(selector, "b", NOW)).isCloseTo(0.05, within(0.02));
		assertThat(share(selector, "a", NOW)).isCloseTo(0.95, within(0.02));
		assertThat(share(selector, "paygo", NOW)).isZero();
	}

	@Test
	void aRecoveringBackendThatNothingElseCanReplaceTakesEveryRequestRatherThanNone() {
		BackendSelector selector = slowStart(10_000, 0.1, backend("ptu", 1, 1));
		instance(selector, "ptu").state().extendThrottle(NOW, "429");

		assertThat(share(selector, "ptu", NOW)).isEqualTo(1.0);
	}

	/** The share of 10,000 plans at {@code nowMillis} that use backend {@code id}. */
	private static double share(BackendSelector selector, String id, long nowMillis) {
		int used = 0;
		for (int i = 0; i < 10_000; i++) {
			Plan plan = BackendPlanner.plan(selector, nowMillis, nowMillis + 1000, 100, Set.of());
			used += plan instanceof Use use && use.backend().id().equals(id) ? 1 : 0;
		}
		return used / 10_000.0;
	}

	private static BackendSelector slowStart(long windowMillis, double initialShare, BackendDefinition... backends) {
		PoolDefinition pool = new PoolDefinition("pool", List.of("*"), List.of(backends), Duration.ofSeconds(1), 4,
				Duration.ofSeconds(60), null, null, null);
		return new BackendSelector(pool, b -> new BackendState(CircuitBreaker.ofDefaults(b.id()), OPEN_STATE_MILLIS,
				b.maxRequestTokens(), OPENED_AT_NOW, windowMillis, initialShare));
	}

	private static String used(Plan plan) {
		assertThat(plan).isInstanceOf(Use.class);
		return ((Use) plan).backend().id();
	}

	private static BackendInstance instance(BackendSelector selector, String id) {
		return selector.backends().stream().filter(b -> b.id().equals(id)).findFirst().orElseThrow();
	}

	private static BackendSelector selector(BackendDefinition... backends) {
		return selector(b -> OPEN_STATE_MILLIS, backends);
	}

	private static BackendSelector selector(ToLongFunction<BackendDefinition> openStateMillis,
			BackendDefinition... backends) {
		PoolDefinition pool = new PoolDefinition("pool", List.of("*"), List.of(backends), Duration.ofSeconds(1), 4,
				Duration.ofSeconds(60), null, null, null);
		return new BackendSelector(pool, b -> new BackendState(CircuitBreaker.ofDefaults(b.id()),
				openStateMillis.applyAsLong(b), b.maxRequestTokens(), OPENED_AT_NOW));
	}

	private static BackendDefinition backend(String id, int priority, int weight) {
		return backend(id, priority, weight, -1);
	}

	private static BackendDefinition backend(String id, int priority, int weight, long maxRequestTokens) {
		return new BackendDefinition("pool", id, URI.create("http://" + id), BackendType.OPENAI, null, null, null, null,
				AuthHeader.BEARER, true, priority, weight, maxRequestTokens);
	}

}
