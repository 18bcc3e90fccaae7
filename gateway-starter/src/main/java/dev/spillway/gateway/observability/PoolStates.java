package dev.spillway.gateway.observability;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.spillway.gateway.routing.BackendInstance;
import dev.spillway.gateway.routing.BackendState;
import dev.spillway.gateway.routing.PoolRegistry;

/** A snapshot of every pool and backend as this instance sees it, for health details and the actuator endpoint. */
public class PoolStates {

	/** Backend state names as they appear in health and the endpoint. */
	public static final String UP = "UP";

	public static final String THROTTLED = "THROTTLED";

	public static final String CIRCUIT_OPEN = "CIRCUIT_OPEN";

	private final PoolRegistry pools;

	public PoolStates(PoolRegistry pools) {
		this.pools = pools;
	}

	/** Pool → backend → one-line state, e.g. {@code THROTTLED until 2026-11-21T10:00:03Z (rate_limited)}. */
	public Map<String, Map<String, String>> summary() {
		long now = System.currentTimeMillis();
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

	/** Pool → backend → every detail this instance holds. */
	public Map<String, Map<String, Map<String, Object>>> details() {
		long now = System.currentTimeMillis();
		Map<String, Map<String, Map<String, Object>>> result = new LinkedHashMap<>();
		for (String pool : pools.names()) {
			Map<String, Map<String, Object>> backends = new LinkedHashMap<>();
			for (BackendInstance backend : pools.selector(pool).backends()) {
				BackendState state = backend.state();
				Map<String, Object> detail = new LinkedHashMap<>();
				detail.put("state", state(state, now));
				detail.put("priority", backend.backend().getPriority());
				detail.put("weight", backend.backend().getWeight());
				detail.put("url", backend.backend().getUrl().toString());
				if (state.throttledUntilMillis() > now) {
					detail.put("throttledUntil", Instant.ofEpochMilli(state.throttledUntilMillis()).toString());
					detail.put("throttleReason", state.throttleReason());
				}
				detail.put("circuit", state.breaker().getState().toString());
				detail.put("failureRate", state.breaker().getMetrics().getFailureRate());
				if (state.remainingTokens() >= 0) {
					detail.put("reportedRemainingTokens", state.remainingTokens());
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
