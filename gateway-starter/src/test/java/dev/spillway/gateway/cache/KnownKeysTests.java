package dev.spillway.gateway.cache;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KnownKeysTests {

	@Test
	void keepsAtMostMaxEntriesTheOldestGoingFirst() {
		KnownKeys keys = new KnownKeys(3);
		for (int i = 0; i < 10; i++) {
			keys.put("k" + i, 10_000, 0);
		}

		assertThat(keys.size()).isEqualTo(3);
		assertThat(keys.contains("k6", 0)).isFalse();
		assertThat(keys.contains("k9", 0)).isTrue();
	}

	@Test
	void expiredKeysAreDroppedAsNewOnesArrive() {
		KnownKeys keys = new KnownKeys(1000);
		for (int i = 0; i < 50; i++) {
			keys.put("old" + i, 100, 0);
		}
		for (int i = 0; i < 20; i++) {
			keys.put("new" + i, 10_000, 200);
		}

		assertThat(keys.size()).isEqualTo(20);
		assertThat(keys.contains("new0", 200)).isTrue();
	}

	@Test
	void anExpiredKeyIsNotKnown() {
		KnownKeys keys = new KnownKeys(10);
		keys.put("k", 100, 0);

		assertThat(keys.contains("k", 99)).isTrue();
		assertThat(keys.contains("k", 100)).isFalse();
		assertThat(keys.size()).isZero();
	}

}
