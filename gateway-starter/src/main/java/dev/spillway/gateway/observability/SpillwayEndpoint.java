package dev.spillway.gateway.observability;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.limit.api.TenantLimitsReport;
import dev.spillway.gateway.cache.api.CacheReport;
import dev.spillway.gateway.routing.api.PoolReport;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * {@code /actuator/spillway}: the live state of every pool and backend as this instance sees it, and the cache's
 * self-check per pool;
 * {@code /actuator/spillway/{tenant}}: one tenant's limits and usage.
 */
@Endpoint(id = "spillway")
class SpillwayEndpoint {

	private final PoolReport pools;

	private final TenantLimitsReport limits;

	private final UsageMetrics usage;

	private final CacheReport cache;

	private final List<String> tenants;

	/**
	 * @param limits the limits' report, or {@code null} without limits
	 * @param cache the cache's report, or {@code null} without the cache
	 */
	SpillwayEndpoint(PoolReport pools, TenantLimitsReport limits, CacheReport cache, UsageMetrics usage,
			List<String> tenants) {
		this.tenants = List.copyOf(tenants);
		this.pools = pools;
		this.limits = limits;
		this.cache = cache;
		this.usage = usage;
	}

	/** {@code /actuator/spillway/{tenant}}: the tenant's limits, what is left of them, and its usage here. */
	@ReadOperation
	public Mono<Map<String, Object>> tenant(@Selector String tenant) {
		if (limits == null) {
			return Mono.empty();
		}
		return limits.limits(tenant).map(view -> {
			Map<String, Object> result = new LinkedHashMap<>();
			result.put("tenant", tenant);
			result.putAll(view);
			result.put("usageOnThisInstance", usage.tokensUsed(tenant));
			return result;
		});
	}

	@ReadOperation
	public Map<String, Object> state() {
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("sharedState", pools.sharedStateConnected() ? "CONNECTED" : "DISCONNECTED");
		result.put("pools", pools.details());
		result.put("tenants", tenants);
		if (cache != null) {
			result.put("cache", cache.pools());
		}
		return result;
	}

}
