package dev.spillway.gateway.routing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How a backend's reports of its room are read: reactively (the default) and proactively. */
class HeadroomTests {

	static final long NOW = 1_000_000;

	/** 1,000 of 60,000 tokens left, full again in 59 s: 1,000 tokens come back every second. */
	static final Headroom.Observation LOW = new Headroom.Observation(NOW, 1_000, 60_000, NOW + 59_000, 50, 100,
			NOW + 30_000, Double.NaN);

	@Test
	void reactiveReadingWaitsForTheFullResetAndIgnoresRequestsAndReservations() {
		Headroom headroom = new Headroom();
		headroom.observe(LOW);

		assertThat(headroom.availableAtMillis(NOW, 1_000)).isLessThanOrEqualTo(NOW);
		assertThat(headroom.availableAtMillis(NOW, 1_001)).isEqualTo(NOW + 59_000);
		headroom.reserve(1_000);
		assertThat(headroom.availableAtMillis(NOW, 1_000)).as("reservations are proactive only").isLessThanOrEqualTo(NOW);
	}

	@Test
	void proactiveReadingRefillsEvenlyUntilTheReset() {
		Headroom headroom = new Headroom(true, 0, 1000);
		headroom.observe(LOW);

		assertThat(headroom.availableAtMillis(NOW, 1_000)).isLessThanOrEqualTo(NOW);
		assertThat(headroom.availableAtMillis(NOW, 3_000)).isEqualTo(NOW + 2_000);
		assertThat(headroom.availableAtMillis(NOW + 2_000, 3_000)).isEqualTo(NOW + 2_000);
	}

	@Test
	void everyRequestSentIsTakenOffWhatIsLeft() {
		Headroom headroom = new Headroom(true, 0, 1000);
		headroom.observe(LOW);

		headroom.reserve(600);
		assertThat(headroom.availableAtMillis(NOW, 400)).isLessThanOrEqualTo(NOW);
		headroom.reserve(400);
		assertThat(headroom.availableAtMillis(NOW, 400)).as("nothing left: 400 tokens come back in 0.4 s")
			.isEqualTo(NOW + 400);
		assertThat(headroom.last().tokensFullAtMillis()).as("full again a second later than reported")
			.isEqualTo(NOW + 60_000);
	}

	@Test
	void reservingPastZeroKeepsTheBackendPassedOverUntilTheDebtIsRefilled() {
		Headroom headroom = new Headroom(true, 0, 1000);
		headroom.observe(LOW);

		headroom.reserve(1_500);
		assertThat(headroom.last().tokensRemaining()).isEqualTo(-500);
		assertThat(headroom.availableAtMillis(NOW, 100)).as("500 owed and 100 needed: 0.6 s").isEqualTo(NOW + 600);
		headroom.reserve(1_000);
		assertThat(headroom.last().tokensRemaining()).as("a count below zero stays known").isEqualTo(-1_500);
		assertThat(headroom.availableAtMillis(NOW, 100)).isEqualTo(NOW + 1_600);
	}

	@Test
	void requestsSentPastTheLastOneKeepCounting() {
		Headroom headroom = new Headroom(true, 0, 1000);
		headroom.observe(new Headroom.Observation(NOW, -1, -1, 0, 0, 100, NOW + 6_000, Double.NaN));

		headroom.reserve(10);
		headroom.reserve(10);
		assertThat(headroom.availableAtMillis(NOW, 10)).as("two owed, one needed, one back every 60 ms")
			.isEqualTo(NOW + 180);
	}

	@Test
	void hearingItsOwnAnnouncementAgainDoesNotForgetWhatWasSentSince() {
		Headroom headroom = new Headroom(true, 0, 1000);
		headroom.observe(LOW);
		headroom.reserve(1_000);

		assertThat(headroom.observeShared(LOW)).isFalse();
		assertThat(headroom.last().tokensRemaining()).isZero();
		Headroom.Observation later = new Headroom.Observation(NOW + 1, 5_000, 60_000, NOW + 55_000, -1, -1, 0,
				Double.NaN);
		assertThat(headroom.observeShared(later)).as("a newer report from another instance").isTrue();
		assertThat(headroom.last().tokensRemaining()).isEqualTo(5_000);
	}

	@Test
	void aBackendWithNoRequestLeftIsPassedOverUntilOneComesBack() {
		Headroom headroom = new Headroom(true, 0, 1000);
		headroom.observe(new Headroom.Observation(NOW, -1, -1, 0, 0, 100, NOW + 6_000, Double.NaN));

		assertThat(headroom.availableAtMillis(NOW, 10)).as("one of 100 requests comes back every 60 ms")
			.isEqualTo(NOW + 60);
	}

	@Test
	void utilizationAtOrAboveTheLevelPassesTheBackendOverForTheHold() {
		Headroom headroom = new Headroom(true, 90, 1000);
		headroom.observe(new Headroom.Observation(NOW, -1, -1, 0, -1, -1, 0, 89.9));
		assertThat(headroom.availableAtMillis(NOW, 10)).isLessThanOrEqualTo(NOW);

		headroom.observe(new Headroom.Observation(NOW + 10, -1, -1, 0, -1, -1, 0, 90));
		assertThat(headroom.availableAtMillis(NOW + 10, 10)).isEqualTo(NOW + 1_010);
		assertThat(headroom.availableAtMillis(NOW + 1_010, 10)).isLessThanOrEqualTo(NOW + 1_010);
	}

	@Test
	void anOlderObservationNeverReplacesANewerOne() {
		Headroom headroom = new Headroom(true, 0, 1000);
		headroom.observe(LOW);

		assertThat(headroom.observe(new Headroom.Observation(NOW - 1, 60_000, 60_000, NOW - 1, -1, -1, 0,
				Double.NaN))).isFalse();
		assertThat(headroom.last()).isEqualTo(LOW);
	}

	@Test
	void utilizationIsReadAsAzureWritesItWithOrWithoutThePercentSign() {
		assertThat(BackendHints.percent("87.5%")).isEqualTo(87.5);
		assertThat(BackendHints.percent(" 100 ")).isEqualTo(100);
		assertThat(BackendHints.percent("high")).isNaN();
		assertThat(BackendHints.percent("-3")).isNaN();
	}

}
