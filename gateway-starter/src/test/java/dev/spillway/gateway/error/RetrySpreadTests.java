package dev.spillway.gateway.error;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.spillway.gateway.TestClock;

import static org.assertj.core.api.Assertions.assertThat;

class RetrySpreadTests {

	private final TestClock clock = TestClock.stoppedAt(Instant.parse("2026-12-01T10:00:00Z"));

	private final RetrySpread spread = new RetrySpread(clock, Duration.ofSeconds(20));

	@Test
	void requestsRefusedTogetherAreGivenConsecutiveSlotsOneShareApart() {
		List<Long> waits = IntStream.range(0, 4).mapToObj(i -> spread.advise("tenant", 6000, 6000)).toList();

		assertThat(waits).containsExactly(6000L, 12000L, 18000L, 24000L);
	}

	@Test
	void noWaitIsEarlierThanTheRequestsOwnNorLaterThanItPlusTheBoundAndNoTwoAreAlike() {
		List<Long> waits = new ArrayList<>();
		for (int i = 0; i < 40; i++) {
			waits.add(spread.advise("tenant", 6000, 6000));
		}

		assertThat(waits).allSatisfy(wait -> assertThat(wait).isBetween(6000L, 26000L));
		assertThat(new HashSet<>(waits)).hasSize(40);
	}

	@Test
	void whereTheCostIsUnknownWaitsAreSpreadEvenlyOverTheBound() {
		List<Long> waits = IntStream.range(0, 40).mapToObj(i -> spread.advise("pool:gpt", 3000, 0)).toList();

		assertThat(waits.get(0)).isEqualTo(3000);
		assertThat(waits).allSatisfy(wait -> assertThat(wait).isBetween(3000L, 23000L));
		assertThat(new HashSet<>(waits)).hasSize(40);
		// Evenly: every fifth of the bound is advised to some of them.
		for (int fifth = 0; fifth < 5; fifth++) {
			long from = 3000 + fifth * 4000L;
			assertThat(waits).anySatisfy(wait -> assertThat(wait).isBetween(from, from + 4000));
		}
	}

	@Test
	void slotsInThePastAreNotCarriedOver() {
		spread.advise("tenant", 6000, 6000);
		spread.advise("tenant", 6000, 6000);

		clock.advance(Duration.ofMinutes(1));

		assertThat(spread.advise("tenant", 6000, 6000)).isEqualTo(6000);
	}

	@Test
	void keysAreSpreadApart() {
		spread.advise("one", 6000, 6000);

		assertThat(spread.advise("two", 6000, 6000)).isEqualTo(6000);
	}

	@Test
	void aLongerOwnWaitIsNeverShortenedByTheQueue() {
		spread.advise("tenant", 1000, 1000);

		assertThat(spread.advise("tenant", 9000, 1000)).isEqualTo(9000);
	}

	@Test
	void aZeroBoundTellsEachItsOwnWait() {
		RetrySpread none = new RetrySpread(clock, Duration.ZERO);

		assertThat(IntStream.range(0, 3).mapToObj(i -> none.advise("tenant", 6000, 6000))).containsOnly(6000L);
	}

	@Test
	void theNumberOfKeysKeptIsBounded() {
		for (int i = 0; i < RetrySpread.MAX_KEYS * 2; i++) {
			spread.advise("tenant-" + i, 1000, 1000);
		}

		assertThat(spread.keys()).isLessThanOrEqualTo(RetrySpread.MAX_KEYS);
	}

}
