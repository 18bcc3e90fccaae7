package dev.spillway.gateway.routing;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.spillway.gateway.core.BackendProperties;
import dev.spillway.gateway.core.PoolProperties;
import dev.spillway.gateway.core.Pools;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutingRulesCheckTests {

	private final Pools pools = new Pools(pools());

	@Test
	void aRuleWhoseModelItsPoolDoesNotServeIsRejectedWithTheYamlToAdd() {
		RoutingProperties routing = rule("big", "gpt-4o");

		assertThatThrownBy(() -> RoutingRulesCheck.check(routing, pools))
			.hasMessageContaining("spillway.routing.rules[0] sends model 'gpt-4o' to pool 'big'")
			.hasMessageContaining("models: [ gpt-4o ]");
	}

	@Test
	void aRuleToAnUnknownPoolIsRejectedNamingIt() {
		assertThatThrownBy(() -> RoutingRulesCheck.check(rule("nowhere", "gpt-4o"), pools))
			.hasMessageContaining("spillway.routing.rules[].pool must name configured pools: 'nowhere'");
	}

	@Test
	void aRuleToAPoolThatServesItsModelPasses() {
		assertThatCode(() -> RoutingRulesCheck.check(rule("big", "gpt-4o-mini"), pools)).doesNotThrowAnyException();
	}

	private static RoutingProperties rule(String pool, String model) {
		RoutingProperties routing = new RoutingProperties();
		RoutingProperties.RoutingRule rule = new RoutingProperties.RoutingRule();
		rule.setPool(pool);
		rule.getWhen().setModel(model);
		routing.setRules(List.of(rule));
		return routing;
	}

	private static Map<String, PoolProperties> pools() {
		Map<String, PoolProperties> pools = new LinkedHashMap<>();
		for (String name : List.of("gpt", "big")) {
			PoolProperties pool = new PoolProperties();
			pool.setModels(List.of(name.equals("big") ? "gpt-4o-mini" : "gpt-4o"));
			BackendProperties backend = new BackendProperties();
			backend.setId(name);
			backend.setUrl(URI.create("http://" + name));
			pool.setBackends(List.of(backend));
			pools.put(name, pool);
		}
		return pools;
	}

}
