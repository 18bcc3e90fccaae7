package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.Map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/** The self-check's counting, decision by decision: sampling, bands, the effective threshold, answer comparison. */
class SelfCheckCalibrationTests {

	/** Embeds a text as a direction chosen by its first word: answers that start alike point alike. */
	static final EmbeddingModel BY_FIRST_WORD = new EmbeddingModel() {

		@Override
		public String id() {
			return "first-word";
		}

		@Override
		public Mono<float[]> embed(String text) {
			return Mono.just(text.startsWith("Paris") ? new float[] { 1, 0 } : new float[] { 0, 1 });
		}

	};

	private static SelfCheck selfCheck(double sampleRate, int window, double target, boolean shadow) {
		CacheProperties.SelfCheck config = new CacheProperties.SelfCheck();
		config.setSampleRate(sampleRate);
		config.setWindow(window);
		config.setTargetDisagreement(target);
		config.setShadow(shadow);
		config.setMinComparisons(1);
		return new SelfCheck(config, 0.9, BY_FIRST_WORD, Duration.ofSeconds(1), new SimpleMeterRegistry());
	}

	@Test
	void everyFourthCandidateIsCheckedAtAQuarterAndNoneWithoutSampling() {
		SelfCheck quarter = selfCheck(0.25, 10, 0.1, false);
		SelfCheck never = selfCheck(0, 10, 0.1, false);

		StringBuilder decisions = new StringBuilder();
		for (int i = 0; i < 8; i++) {
			decisions.append(quarter.decide("gpt", 0.95, 0.9) == SelfCheck.Decision.CHECK ? 'C' : 'S');
			assertThat(never.decide("gpt", 0.95, 0.9)).isEqualTo(SelfCheck.Decision.SERVE);
		}

		assertThat(decisions).hasToString("SSSCSSSC");
	}

	@Test
	void aDisagreementClosesItsBandAndTheBandsBelowUntilItsWindowAgreesAgain() {
		SelfCheck check = selfCheck(0, 3, 0.1, false);

		check.compare("gpt", 0.955, true, "Paris.", "Lyon.");

		assertThat(check.effectiveThreshold("gpt", 0.9)).isEqualTo(0.96, org.assertj.core.data.Offset.offset(1e-9));
		assertThat(check.decide("gpt", 0.955, 0.9)).as("its own band").isEqualTo(SelfCheck.Decision.CHECK);
		assertThat(check.decide("gpt", 0.92, 0.9)).as("a band below").isEqualTo(SelfCheck.Decision.CHECK);
		assertThat(check.decide("gpt", 0.97, 0.9)).as("a band above").isEqualTo(SelfCheck.Decision.SERVE);
		assertThat(check.effectiveThreshold("other", 0.9)).as("another pool").isEqualTo(0.9);

		check.compare("gpt", 0.955, true, "Paris.", "paris");
		check.compare("gpt", 0.955, true, "Paris", "Paris!");
		assertThat(check.decide("gpt", 0.955, 0.9)).as("one of three still disagrees").isEqualTo(SelfCheck.Decision.CHECK);
		check.compare("gpt", 0.955, true, "Paris.", "Paris.");

		assertThat(check.decide("gpt", 0.955, 0.9)).isEqualTo(SelfCheck.Decision.SERVE);
		assertThat(check.effectiveThreshold("gpt", 0.9)).isEqualTo(0.9);
	}

	@Test
	void aClosedBandNoTrafficReachesStopsHoldingTheBandsBelowAfterAWindowOfComparisons() {
		SelfCheck check = selfCheck(0, 2, 0.1, false);
		check.compare("gpt", 0.985, true, "Paris", "Lyon");
		assertThat(check.decide("gpt", 0.93, 0.9)).isEqualTo(SelfCheck.Decision.CHECK);

		check.compare("gpt", 0.93, true, "Paris", "Paris");
		check.compare("gpt", 0.93, true, "Paris", "Paris");

		assertThat(check.decide("gpt", 0.93, 0.9)).isEqualTo(SelfCheck.Decision.SERVE);
		assertThat(check.decide("gpt", 0.985, 0.9)).as("the closed band itself").isEqualTo(SelfCheck.Decision.CHECK);
	}

	@Test
	void answersToNonDeterministicRequestsAreComparedByEmbedding() {
		SelfCheck check = selfCheck(0, 10, 0.05, false);

		check.compare("gpt", 0.95, false, "Paris, the capital.", "Paris is the capital of France.");
		assertThat(check.effectiveThreshold("gpt", 0.9)).as("similar answers agree").isEqualTo(0.9);

		check.compare("gpt", 0.95, false, "Lyon, I think.", "Paris is the capital of France.");
		assertThat(check.effectiveThreshold("gpt", 0.9)).as("different answers disagree").isGreaterThan(0.95);
		Map<String, Object> pool = check.report().get("gpt");
		assertThat(pool).containsEntry("comparisons", 2L).containsEntry("disagreements", 1L);
	}

	@Test
	void aBandWithFewerComparisonsThanTheMinimumKeepsServing() {
		CacheProperties.SelfCheck config = new CacheProperties.SelfCheck();
		config.setSampleRate(0);
		config.setMinComparisons(3);
		SelfCheck check = new SelfCheck(config, 0.9, BY_FIRST_WORD, Duration.ofSeconds(1), new SimpleMeterRegistry());

		check.compare("gpt", 0.955, true, "Paris", "Lyon");
		check.compare("gpt", 0.955, true, "Paris", "Lyon");
		assertThat(check.decide("gpt", 0.955, 0.9)).isEqualTo(SelfCheck.Decision.SERVE);

		check.compare("gpt", 0.955, true, "Paris", "Paris");
		assertThat(check.decide("gpt", 0.955, 0.9)).as("two of three disagree").isEqualTo(SelfCheck.Decision.CHECK);
	}

	@Test
	void inShadowModeNothingIsServed() {
		SelfCheck shadow = selfCheck(0, 10, 0.1, true);

		assertThat(shadow.decide("gpt", 0.999, 0.9)).isEqualTo(SelfCheck.Decision.CHECK);
		assertThat(shadow.report().get("gpt")).containsEntry("semanticCandidates", 1L)
			.containsEntry("semanticHitsServed", 0L);
	}

}
