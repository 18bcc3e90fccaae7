package dev.spillway.gateway.routing;

import java.util.List;

import dev.spillway.gateway.core.PoolModels;
import dev.spillway.gateway.core.Pools;

import org.springframework.validation.BeanPropertyBindingResult;
import org.springframework.validation.Errors;

/**
 * Checks routing rules against the configured pools before the rules are used: every rule's pool must exist and
 * serve the model the rule sends. Start-up fails with a message naming the rule.
 */
final class RoutingRulesCheck {

	private RoutingRulesCheck() {
	}

	static void check(RoutingProperties routing, Pools pools) {
		Errors errors = new BeanPropertyBindingResult(routing, "spillway.routing");
		List<RoutingProperties.RoutingRule> rules = routing.getRules();
		for (int i = 0; i < rules.size(); i++) {
			RoutingProperties.RoutingRule rule = rules.get(i);
			if (rule.getPool() != null && pools.pool(rule.getPool()) == null) {
				errors.reject("spillway.routing.pool", "spillway.routing.rules[].pool must name configured pools: '"
						+ rule.getPool() + "' (spillway.routing.rules[" + i + "]) is not one");
				continue;
			}
			String model = rule.getModel() != null ? rule.getModel() : rule.getWhen().getModel();
			PoolModels.checkTarget(pools, "spillway.routing.rules[" + i + "]", rule.getPool(), model, errors);
		}
		if (errors.hasErrors()) {
			StringBuilder message = new StringBuilder("Invalid routing rules:");
			errors.getAllErrors().forEach(error -> message.append("\n\n").append(error.getDefaultMessage()));
			throw new IllegalStateException(message.toString());
		}
	}

}
