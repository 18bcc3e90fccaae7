package dev.spillway.gateway.routing;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.BackendProperties.AuthHeader;
import dev.spillway.gateway.core.BackendProperties.BackendType;
import dev.spillway.gateway.core.PoolDefinition;

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

	static BackendSelector selector(BackendDefinition... backends) {
		PoolDefinition pool = new PoolDefinition("pool", List.of("*"), List.of(backends), Duration.ZERO, 4,
				Duration.ofSeconds(60), null, null, null);
		return new BackendSelector(pool, b -> new BackendState(CircuitBreaker.ofDefaults(b.id()), 30_000));
	}

	static BackendDefinition backend(String id, int priority, int weight) {
		return new BackendDefinition("pool", id, URI.create("http://" + id), BackendType.OPENAI, null, null, null, null,
				AuthHeader.BEARER, true, priority, weight, -1);
	}

}
