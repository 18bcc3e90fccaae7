package dev.spillway.gateway.limit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import reactor.core.publisher.Mono;
import reactor.util.function.Tuples;

import dev.spillway.gateway.core.Tenants;
import dev.spillway.gateway.limit.api.TenantLimitsReport;

/** A tenant's limits as operators need to see them: the effective limits and what is left of them right now. */
class LimitReport implements TenantLimitsReport {

	/** An operator's view never waits longer than this for Redis. */
	private static final Duration VIEW_TIMEOUT = Duration.ofSeconds(5);

	private final Tenants tenants;

	private final LimitPlans plans;

	private final TenantLimiter limiter;

	private final BudgetLedger ledger;

	LimitReport(Tenants tenants, LimitPlans plans, TenantLimiter limiter, BudgetLedger ledger) {
		this.tenants = tenants;
		this.plans = plans;
		this.limiter = limiter;
		this.ledger = ledger;
	}

	@Override
	public Mono<Map<String, Object>> limits(String tenant) {
		if (tenants.tenant(tenant) == null) {
			return Mono.empty();
		}
		LimitPlan plan = plans.plan(tenant, null);
		Map<String, Object> limits = new LinkedHashMap<>();
		limits.put("tier", tenants.tierOf(tenant));
		limits.put("tokensPerMinute", plan.values().tokensPerMinute());
		limits.put("requestsPerMinute", plan.values().requestsPerMinute());
		limits.put("tokensPerDay", plan.values().tokensPerDay());
		Mono<Long> tokens = limiter.availableTokens(plan).defaultIfEmpty(-1L).onErrorReturn(-2L);
		Mono<Long> requests = limiter.availableRequests(plan).defaultIfEmpty(-1L).onErrorReturn(-2L);
		Mono<Map<String, Object>> budgets = ledger.view(plan);
		return Mono.zip(tokens, requests, budgets)
			.timeout(VIEW_TIMEOUT, Mono.just(Tuples.of(-2L, -2L, Map.of())))
			.map(available -> {
				Map<String, Object> remaining = new LinkedHashMap<>();
				remaining.put("tokens", describe(available.getT1()));
				remaining.put("requests", describe(available.getT2()));
				Map<String, Object> view = new LinkedHashMap<>();
				view.put("limits", limits);
				view.put("remaining", remaining);
				if (!available.getT3().isEmpty()) {
					view.put("budgets", available.getT3());
				}
				return view;
			});
	}

	@Override
	public Set<String> limitedModels() {
		return plans.limitedModels();
	}

	private static Object describe(long available) {
		if (available == -1) {
			return "unlimited";
		}
		return available == -2 ? "unknown (shared state unreachable)" : available;
	}

}
