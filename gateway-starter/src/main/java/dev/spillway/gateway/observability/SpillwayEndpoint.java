package dev.spillway.gateway.observability;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.spillway.gateway.routing.SharedThrottles;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/** {@code /actuator/spillway}: the live state of every pool and backend as this instance sees it. */
@Endpoint(id = "spillway")
public class SpillwayEndpoint {

	private final PoolStates states;

	private final SharedThrottles throttles;

	public SpillwayEndpoint(PoolStates states, SharedThrottles throttles) {
		this.states = states;
		this.throttles = throttles;
	}

	@ReadOperation
	public Map<String, Object> state() {
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("sharedState", throttles.connected() ? "CONNECTED" : "DISCONNECTED");
		result.put("pools", states.details());
		return result;
	}

}
