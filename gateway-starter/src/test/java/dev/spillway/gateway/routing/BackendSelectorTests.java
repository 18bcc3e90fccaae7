package dev.spillway.gateway.routing;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.config.SpillwayProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BackendSelectorTests {

	@Test
	void allTrafficGoesToTheFirstPriorityWhileItIsEligible() {
		BackendSelector selector = selector(backend("ptu", 1, 1), backend("paygo", 2, 1));

		for (int i = 0; i < 1000; i++) {
			assertThat(selector.choose(b -> true).id()).isEqualTo("ptu");
		}
	}

	@Test
	void weightsSplitTrafficWithinAGroup() {
		BackendSelector selector = selector(backend("a", 1, 3), backend("b", 1, 1), backend("spare", 2, 1));
		Map<String, Integer> counts = new HashMap<>();

		for (int i = 0; i < 2000; i++) {
			counts.merge(selector.choose(b -> true).id(), 1, Integer::sum);
		}

		assertThat(counts.get("a") / 2000.0).isCloseTo(0.75, within(0.05));
		assertThat(counts.get("b") / 2000.0).isCloseTo(0.25, within(0.05));
		assertThat(counts).doesNotContainKey("spare");
	}

	@Test
	void ineligibleBackendsAreSkippedAndTheNextGroupServes() {
		BackendSelector selector = selector(backend("a", 1, 1), backend("b", 1, 1), backend("c", 2, 1));

		assertThat(selector.choose(b -> !b.id().equals("a")).id()).isEqualTo("b");
		assertThat(selector.choose(b -> b.id().equals("c")).id()).isEqualTo("c");
		assertThat(selector.choose(b -> false)).isNull();
	}

	static BackendSelector selector(SpillwayProperties.Backend... backends) {
		SpillwayProperties.Pool pool = new SpillwayProperties.Pool();
		pool.setBackends(List.of(backends));
		return new BackendSelector("pool", pool, b -> new BackendState(CircuitBreaker.ofDefaults(b.getId()), 30_000));
	}

	static SpillwayProperties.Backend backend(String id, int priority, int weight) {
		SpillwayProperties.Backend backend = new SpillwayProperties.Backend();
		backend.setId(id);
		backend.setUrl(URI.create("http://" + id));
		backend.setPriority(priority);
		backend.setWeight(weight);
		return backend;
	}

}
