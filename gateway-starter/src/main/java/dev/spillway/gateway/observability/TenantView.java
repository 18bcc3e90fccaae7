package dev.spillway.gateway.observability;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import reactor.core.publisher.Mono;
import reactor.util.function.Tuples;

import dev.spillway.gateway.config.SpillwayProperties;
import dev.spillway.gateway.limit.LimitPlan;
import dev.spillway.gateway.limit.LimitPlans;
import dev.spillway.gateway.limit.TenantLimiter;

/**
 * One tenant as operators need to see it: its effective limits, what is left of them right now (read from the
 * shared buckets), and the tokens and cost this instance has counted for it.
 */
public class TenantView {

	/** An operator's view never waits longer than this for Redis. */
	private static final Duration VIEW_TIMEOUT = Duration.ofSeconds(5);

	private final Map<String, SpillwayProperties.Tenant> tenants;

	private final LimitPlans plans;

	private final TenantLimiter limiter;

	private final UsageMetrics usage;

	public TenantView(Map<String, SpillwayProperties.Tenant> tenants, LimitPlans plans, TenantLimiter limiter,
			UsageMetrics usage) {
		this.tenants = tenants;
		this.plans = plans;
		this.limiter = limiter;
		this.usage = usage;
	}

	/** The view, or an empty Mono (404) for an unknown tenant. */
	public Mono<Map<String, Object>> view(String tenant) {
		SpillwayProperties.Tenant config = tenants.get(tenant);
		if (config == null) {
			return Mono.empty();
		}
		LimitPlan plan = plans.plan(tenant, null);
		Map<String, Object> limits = new LinkedHashMap<>();
		limits.put("tier", config.getTier() != null ? config.getTier() : LimitPlans.DEFAULT_TIER);
		limits.put("tokensPerMinute", plan.values().getTokensPerMinute());
		limits.put("requestsPerMinute", plan.values().getRequestsPerMinute());
		limits.put("tokensPerDay", plan.values().getTokensPerDay());
		Mono<Long> tokens = limiter.availableTokens(plan).defaultIfEmpty(-1L).onErrorReturn(-2L);
		Mono<Long> requests = limiter.availableRequests(plan).defaultIfEmpty(-1L).onErrorReturn(-2L);
		return Mono.zip(tokens, requests).timeout(VIEW_TIMEOUT, Mono.just(Tuples.of(-2L, -2L))).map(available -> {
			Map<String, Object> remaining = new LinkedHashMap<>();
			remaining.put("tokens", describe(available.getT1()));
			remaining.put("requests", describe(available.getT2()));
			Map<String, Object> view = new LinkedHashMap<>();
			view.put("tenant", tenant);
			view.put("limits", limits);
			view.put("remaining", remaining);
			view.put("usageOnThisInstance", usage.tokensUsed(tenant));
			return view;
		});
	}

	private static Object describe(long available) {
		if (available == -1) {
			return "unlimited";
		}
		return available == -2 ? "unknown (shared state unreachable)" : available;
	}

}
