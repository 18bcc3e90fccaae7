package dev.spillway.gateway.limit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Spend against budgets per tenant and budget ({@code spillway.budget.spent}, in the pricing currency, what this
 * instance settled) and refusals ({@code spillway.budget.refusals}). Tags are configured tenant ids and the budget
 * names {@code daily} and {@code monthly}: bounded by the configuration.
 */
final class BudgetMetrics {

	private final MeterRegistry registry;

	BudgetMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	void spent(String tenant, String budget, long micros) {
		if (registry != null && micros > 0) {
			Counter.builder("spillway.budget.spent")
				.description("Settled spend against the tenant's budget, in the pricing currency")
				.tag("tenant", tenant)
				.tag("budget", budget)
				.register(registry)
				.increment(micros / 1_000_000.0);
		}
	}

	void refused(String tenant, String budget) {
		if (registry != null) {
			Counter.builder("spillway.budget.refusals")
				.description("Requests refused because they did not fit the tenant's budget")
				.tag("tenant", tenant)
				.tag("budget", budget)
				.register(registry)
				.increment();
		}
	}

}
