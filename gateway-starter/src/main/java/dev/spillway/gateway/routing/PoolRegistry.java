package dev.spillway.gateway.routing;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.PoolDefinition;
import dev.spillway.gateway.core.Pools;

/** Every pool's live backends: their state and the selector that chooses among them. */
final class PoolRegistry {

	private final Pools pools;

	private final Map<String, BackendSelector> selectors = new LinkedHashMap<>();

	private final Map<String, Map<String, BackendInstance>> instances = new HashMap<>();

	public PoolRegistry(Pools pools, Function<BackendDefinition, BackendState> states) {
		this.pools = pools;
		pools.all().forEach((name, pool) -> {
			BackendSelector selector = new BackendSelector(pool, states);
			selectors.put(name, selector);
			Map<String, BackendInstance> byId = new HashMap<>();
			selector.backends().forEach(b -> byId.put(b.id(), b));
			instances.put(name, Map.copyOf(byId));
		});
	}

	/** The backend selector of a pool, or {@code null} when there is no such pool. */
	public BackendSelector selector(String pool) {
		return pool == null ? null : selectors.get(pool);
	}

	/** A backend by pool and id, or {@code null}. */
	public BackendInstance instance(String pool, String backend) {
		Map<String, BackendInstance> byId = instances.get(pool);
		return byId == null ? null : byId.get(backend);
	}

	/** A pool's definition, or {@code null}. */
	public PoolDefinition pool(String name) {
		return pools.pool(name);
	}

	/** The configured pools. */
	public Pools pools() {
		return pools;
	}

	public Set<String> names() {
		return selectors.keySet();
	}

}
