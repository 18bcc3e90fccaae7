package dev.spillway.gateway.observability;

import java.util.LinkedHashMap;
import java.util.Map;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.routing.SharedThrottles;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * {@code /actuator/spillway}: the live state of every pool and backend as this instance sees it;
 * {@code /actuator/spillway/{tenant}}: one tenant's limits and usage.
 */
@Endpoint(id = "spillway")
public class SpillwayEndpoint {

	private final PoolStates states;

	private final SharedThrottles throttles;

	private final TenantView tenants;

	public SpillwayEndpoint(PoolStates states, SharedThrottles throttles, TenantView tenants) {
		this.states = states;
		this.throttles = throttles;
		this.tenants = tenants;
	}

	/** {@code /actuator/spillway/{tenant}}: the tenant's limits, what is left of them, and its usage here. */
	@ReadOperation
	public Mono<Map<String, Object>> tenant(@Selector String tenant) {
		return tenants.view(tenant);
	}

	@ReadOperation
	public Map<String, Object> state() {
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("sharedState", throttles.connected() ? "CONNECTED" : "DISCONNECTED");
		result.put("pools", states.details());
		return result;
	}

}
