package dev.spillway.gateway.routing;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.spillway.gateway.routing.api.PoolReport;

/** A snapshot of every pool and backend as this instance sees it, for health details and the actuator endpoint. */
class PoolStates implements PoolReport {

	/** Backend state names as they appear in health and the endpoint. */
	public static final String UP = "UP";

	public static final String THROTTLED = "THROTTLED";

	public static final String CIRCUIT_OPEN = "CIRCUIT_OPEN";

	private final PoolRegistry pools;

	private final SharedThrottles throttles;

	private final Clock clock;

	PoolStates(PoolRegistry pools, SharedThrottles throttles, Clock clock) {
		this.pools = pools;
		this.throttles = throttles;
		this.clock = clock;
	}

	@Override
	public boolean sharedStateConnected() {
		return throttles.connected();
	}

	@Override
	public Map<String, Map<String, String>> summary() {
		long now = clock.millis();
		Map<String, Map<String, String>> result = new LinkedHashMap<>();
		for (String pool : pools.names()) {
			Map<String, String> backends = new LinkedHashMap<>();
			for (BackendInstance backend : pools.selector(pool).backends()) {
				BackendState state = backend.state();
				String name = state(state, now);
				backends.put(backend.id(), switch (name) {
					case THROTTLED -> THROTTLED + " until " + Instant.ofEpochMilli(state.throttledUntilMillis()) + " ("
							+ state.throttleReason() + ")";
					case CIRCUIT_OPEN -> CIRCUIT_OPEN + " until " + Instant.ofEpochMilli(state.circuitHalfOpensAtMillis());
					default -> UP;
				});
			}
			result.put(pool, backends);
		}
		return result;
	}

	@Override
	public Map<String, Map<String, Map<String, Object>>> details() {
		long now = clock.millis();
		Map<String, Map<String, Map<String, Object>>> result = new LinkedHashMap<>();
		for (String pool : pools.names()) {
			Map<String, Map<String, Object>> backends = new LinkedHashMap<>();
			for (BackendInstance backend : pools.selector(pool).backends()) {
				BackendState state = backend.state();
				Map<String, Object> detail = new LinkedHashMap<>();
				detail.put("state", state(state, now));
				detail.put("priority", backend.backend().priority());
				detail.put("weight", backend.backend().weight());
				detail.put("url", backend.backend().url().toString());
				if (state.throttledUntilMillis() > now) {
					detail.put("throttledUntil", Instant.ofEpochMilli(state.throttledUntilMillis()).toString());
					detail.put("throttleReason", state.throttleReason());
				}
				detail.put("circuit", state.breaker().getState().toString());
				detail.put("share", state.share(now));
				detail.put("requests", state.requests());
				detail.put("spilledFrom", state.spills());
				detail.put("failureRate", state.breaker().getMetrics().getFailureRate());
				Headroom.Observation reported = state.headroom().reported();
				if (reported.tokensRemaining() >= 0) {
					detail.put("reportedRemainingTokens", reported.tokensRemaining());
				}
				if (reported.requestsRemaining() >= 0) {
					detail.put("reportedRemainingRequests", reported.requestsRemaining());
				}
				if (!Double.isNaN(reported.utilization())) {
					detail.put("reportedUtilization", reported.utilization());
				}
				long availableAt = state.headroom().availableAtMillis(now, 1);
				if (availableAt > now) {
					detail.put("passedOverUntil", Instant.ofEpochMilli(availableAt).toString());
				}
				backends.put(backend.id(), detail);
			}
			result.put(pool, backends);
		}
		return result;
	}

	private static String state(BackendState state, long now) {
		if (state.circuitOpen()) {
			return CIRCUIT_OPEN;
		}
		return state.throttledUntilMillis() > now ? THROTTLED : UP;
	}

}
