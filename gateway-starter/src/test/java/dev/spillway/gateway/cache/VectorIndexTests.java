package dev.spillway.gateway.cache;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.cache.VectorIndex.Match;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The in-memory index of cached questions: searches return live entries of one partition only, nearest first, with
 * their cosine similarity (what the cache's threshold is compared with); additions show after a refresh, removals and
 * expiry at once; the index keeps at most its bound, the oldest going first, and a refresh drops expired entries.
 */
class VectorIndexTests {

	static final long NOW = 1_000_000;

	static final long LATER = Long.MAX_VALUE;

	static final long HOUR = 3_600_000;

	static final float[] EAST = unit(1, 0, 0);

	static final float[] NORTH_EAST = unit(0.8f, 0.6f, 0);

	static final float[] NORTH = unit(0, 1, 0);

	static final float[] WEST = unit(-1, 0, 0);

	private VectorIndex index;

	@AfterEach
	void close() throws Exception {
		if (index != null) {
			index.close();
		}
	}

	@Test
	void theNearestComeFirstWithTheirCosineSimilarity() {
		index = new VectorIndex(100);
		index.add("north", "p", "north?", NORTH, LATER);
		index.add("east", "p", "east?", EAST, LATER);
		index.add("west", "p", "west?", WEST, LATER);
		index.add("north-east", "p", "north-east?", NORTH_EAST, LATER);
		index.refresh();

		List<Match> matches = index.search("p", EAST, 4, NOW);

		assertThat(matches).extracting(Match::id).containsExactly("east", "north-east", "north", "west");
		assertThat(matches.get(0).similarity()).isCloseTo(1.0, within(1e-6));
		assertThat(matches.get(1).similarity()).isCloseTo(0.8, within(1e-6));
		assertThat(matches.get(2).similarity()).isCloseTo(0.0, within(1e-6));
		assertThat(matches.get(3).similarity()).isCloseTo(-1.0, within(1e-6));
	}

	@Test
	void atMostKMatchesAreReturned() {
		index = new VectorIndex(100);
		index.add("north", "p", "north?", NORTH, LATER);
		index.add("east", "p", "east?", EAST, LATER);
		index.add("north-east", "p", "north-east?", NORTH_EAST, LATER);
		index.refresh();

		assertThat(index.search("p", EAST, 2, NOW)).extracting(Match::id).containsExactly("east", "north-east");
	}

	@Test
	void onlyTheQuestionsPartitionIsSearched() {
		index = new VectorIndex(100);
		index.add("acme", "acme/system-a", "east?", EAST, LATER);
		index.add("globex", "globex/system-a", "east?", EAST, LATER);
		index.add("acme-north", "acme/system-a", "north?", NORTH, LATER);
		index.refresh();

		assertThat(index.search("acme/system-a", EAST, 5, NOW)).extracting(Match::id)
			.containsExactly("acme", "acme-north");
		assertThat(index.search("globex/system-a", EAST, 5, NOW)).extracting(Match::id).containsExactly("globex");
		assertThat(index.search("initech/system-a", EAST, 5, NOW)).isEmpty();
	}

	@Test
	void additionsAreSearchableAfterTheNextRefresh() {
		index = new VectorIndex(100);
		index.add("east", "p", "east?", EAST, LATER);

		assertThat(index.search("p", EAST, 1, NOW)).isEmpty();
		assertThat(index.question("east")).isEqualTo("east?");
		index.refresh();
		assertThat(index.search("p", EAST, 1, NOW)).extracting(Match::id).containsExactly("east");
	}

	@Test
	void aRemovedEntryIsNeverReturnedRefreshedOrNot() {
		index = new VectorIndex(100);
		index.add("east", "p", "east?", EAST, LATER);
		index.add("north-east", "p", "north-east?", NORTH_EAST, LATER);
		index.refresh();

		index.remove("east");

		assertThat(index.search("p", EAST, 2, NOW)).extracting(Match::id).containsExactly("north-east");
		assertThat(index.question("east")).isNull();
		assertThat(index.size()).isEqualTo(1);
		index.refresh();
		assertThat(index.search("p", EAST, 2, NOW)).extracting(Match::id).containsExactly("north-east");
	}

	@Test
	void removingAnUnknownIdChangesNothing() {
		index = new VectorIndex(100);
		index.add("east", "p", "east?", EAST, LATER);
		index.refresh();

		index.remove("west");

		assertThat(index.size()).isEqualTo(1);
		assertThat(index.search("p", EAST, 1, NOW)).extracting(Match::id).containsExactly("east");
	}

	@Test
	void anEntryIsLiveUntilItsExpiryAndNotAtIt() {
		index = new VectorIndex(100);
		long expiresAt = System.currentTimeMillis() + HOUR;
		index.add("east", "p", "east?", EAST, expiresAt);
		index.refresh();

		assertThat(index.search("p", EAST, 1, expiresAt - 1)).extracting(Match::id).containsExactly("east");
		assertThat(index.search("p", EAST, 1, expiresAt)).isEmpty();
	}

	@Test
	void aRefreshDropsWhatHasExpiredByTheSystemClockAndKeepsTheRest() {
		index = new VectorIndex(100);
		long now = System.currentTimeMillis();
		index.add("gone", "p", "gone?", EAST, now - 1);
		index.add("kept", "p", "kept?", NORTH, now + HOUR);

		index.refresh();

		assertThat(index.size()).isEqualTo(1);
		assertThat(index.question("gone")).isNull();
		assertThat(index.question("kept")).isEqualTo("kept?");
	}

	@Test
	void beyondTheBoundTheOldestEntriesGoFirst() {
		index = new VectorIndex(3);
		for (int i = 0; i < 5; i++) {
			index.add("q" + i, "p", "question " + i, EAST, LATER);
		}
		index.refresh();

		assertThat(index.size()).isEqualTo(3);
		assertThat(index.question("q0")).isNull();
		assertThat(index.question("q1")).isNull();
		assertThat(index.question("q2")).isEqualTo("question 2");
		assertThat(index.search("p", EAST, 10, NOW)).extracting(Match::id)
			.containsExactlyInAnyOrder("q2", "q3", "q4");
	}

	@Test
	void aReplacedEntryTakesItsNewContentAndCountsAsTheNewest() {
		index = new VectorIndex(2);
		index.add("a", "p", "first", EAST, LATER);
		index.add("b", "p", "second", NORTH, LATER);
		index.add("a", "q", "first again", WEST, LATER);
		index.add("c", "p", "third", NORTH_EAST, LATER);
		index.refresh();

		assertThat(index.size()).isEqualTo(2);
		assertThat(index.question("b")).isNull();
		assertThat(index.question("a")).isEqualTo("first again");
		assertThat(index.search("p", EAST, 5, NOW)).extracting(Match::id).containsExactly("c");
		List<Match> replaced = index.search("q", WEST, 5, NOW);
		assertThat(replaced).extracting(Match::id).containsExactly("a");
		assertThat(replaced.get(0).similarity()).isCloseTo(1.0, within(1e-6));
	}

	@Test
	void aReplacementKeepsOnlyTheNewExpiry() {
		index = new VectorIndex(100);
		long now = System.currentTimeMillis();
		index.add("a", "p", "first", EAST, now - 1);
		index.add("a", "p", "first again", EAST, now + HOUR);

		index.refresh();

		assertThat(index.size()).isEqualTo(1);
		assertThat(index.search("p", EAST, 1, now)).extracting(Match::id).containsExactly("a");
	}

	private static float[] unit(float... values) {
		double norm = 0;
		for (float v : values) {
			norm += v * v;
		}
		float[] unit = new float[values.length];
		for (int i = 0; i < values.length; i++) {
			unit[i] = (float) (values[i] / Math.sqrt(norm));
		}
		return unit;
	}

}
