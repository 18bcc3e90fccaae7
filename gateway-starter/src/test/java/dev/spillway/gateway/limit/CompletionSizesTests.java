package dev.spillway.gateway.limit;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.spillway.gateway.limit.CompletionSizes.Reserved;

import static org.assertj.core.api.Assertions.assertThat;

class CompletionSizesTests {

	@Test
	void aPairWithNoHistoryReservesTheCeiling() {
		CompletionSizes sizes = new CompletionSizes(64, 95, 64, 100, 4);

		Reserved reserved = sizes.reserve("acme", "gpt-4o", 1024);

		assertThat(reserved.tokens()).isEqualTo(1024);
		assertThat(reserved.belowCeiling()).isFalse();
	}

	@Test
	void theReservationIsTheHighPercentileOfRecentAnswersBetweenFloorAndCeiling() {
		CompletionSizes sizes = new CompletionSizes(20, 95, 64, 100, 4);
		for (int i = 1; i <= 20; i++) {
			answer(sizes, "acme", i * 10);
		}
		// The 95th percentile of 10, 20, ..., 200 is the 19th of 20: 190.
		assertThat(reserveAndEnd(sizes, "acme", 1024)).isEqualTo(190);
		assertThat(reserveAndEnd(sizes, "acme", 150)).as("never above the ceiling").isEqualTo(150);

		for (int i = 0; i < 20; i++) {
			answer(sizes, "acme", 5);
		}
		assertThat(reserveAndEnd(sizes, "acme", 1024)).as("the oldest sizes are forgotten; never below the floor")
			.isEqualTo(64);
		assertThat(reserveAndEnd(sizes, "globex", 1024)).as("another tenant learns on its own").isEqualTo(1024);
	}

	@Test
	void onlySoManyLearnedReservationsAreInFlightAtOnce() {
		CompletionSizes sizes = new CompletionSizes(8, 95, 16, 100, 2);
		answer(sizes, "acme", 20);

		List<Reserved> inFlight = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			inFlight.add(sizes.reserve("acme", "gpt-4o", 1024));
		}

		assertThat(inFlight).extracting(Reserved::tokens).containsExactly(20L, 20L, 1024L, 1024L);
		inFlight.get(0).ended();
		inFlight.get(0).ended();
		assertThat(sizes.reserve("acme", "gpt-4o", 1024).tokens()).as("one ended (twice): room for one more").isEqualTo(20);
		assertThat(sizes.reserve("acme", "gpt-4o", 1024).tokens()).as("and only one").isEqualTo(1024);
	}

	@Test
	void theNumberOfPairsRememberedIsBounded() {
		CompletionSizes sizes = new CompletionSizes(8, 95, 16, 3, 2);
		for (int i = 0; i < 10; i++) {
			answer(sizes, "tenant-" + i, 20);
		}

		assertThat(sizes.tracked()).isEqualTo(3);
		assertThat(reserveAndEnd(sizes, "tenant-0", 1024)).as("the least recently used went first").isEqualTo(1024);
	}

	private static void answer(CompletionSizes sizes, String tenant, long completion) {
		Reserved reserved = sizes.reserve(tenant, "gpt-4o", 1024);
		reserved.answered(completion);
		reserved.ended();
	}

	private static long reserveAndEnd(CompletionSizes sizes, String tenant, long ceiling) {
		Reserved reserved = sizes.reserve(tenant, "gpt-4o", ceiling);
		reserved.ended();
		return reserved.tokens();
	}

}
