package dev.spillway.gateway.cache;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The evaluation set is what its README says: pinned, large enough per category, and two splits that share nothing. */
class LabelledPairsTests {

	@Test
	void bothSplitsArePinnedLargeEnoughAndShareNoPrompt() {
		LabelledPairs tune = LabelledPairs.tune();
		LabelledPairs heldOut = LabelledPairs.heldOut();
		List<LabelledPairs.Pair> all = new java.util.ArrayList<>(tune.pairs());
		all.addAll(heldOut.pairs());

		assertThat(all.stream().filter(pair -> !pair.same())).hasSizeGreaterThanOrEqualTo(1000);
		assertThat(all.stream().filter(LabelledPairs.Pair::same)).hasSizeGreaterThanOrEqualTo(500);
		for (String category : LabelledPairs.NEAR_MISSES) {
			assertThat(all.stream().filter(pair -> pair.category().equals(category))).as(category)
				.hasSizeGreaterThanOrEqualTo(100);
			assertThat(all.stream().filter(pair -> pair.category().equals(category)).allMatch(pair -> !pair.same()))
				.isTrue();
		}
		for (String category : LabelledPairs.POSITIVES) {
			assertThat(all.stream().filter(pair -> pair.category().equals(category)).allMatch(LabelledPairs.Pair::same))
				.isTrue();
		}
		Set<String> tunePrompts = new HashSet<>();
		tune.pairs().forEach(pair -> tunePrompts.addAll(List.of(pair.cached(), pair.incoming())));
		assertThat(heldOut.pairs()).noneMatch(pair -> tunePrompts.contains(pair.cached())
				|| tunePrompts.contains(pair.incoming()));
	}

}
