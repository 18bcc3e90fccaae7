package dev.spillway.gateway.routing;

import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import dev.spillway.gateway.config.PoolModels;
import dev.spillway.gateway.config.SpillwayProperties;

import org.springframework.cloud.gateway.route.Route;

/** The configured pools, their live backends, and which routes lead to them ({@code uri: lb://<pool>}). */
public final class PoolRegistry {

	private static final String LOAD_BALANCED_SCHEME = "lb";

	private final Map<String, SpillwayProperties.Pool> pools;

	private final Map<String, BackendSelector> selectors = new LinkedHashMap<>();

	private final Map<String, Map<String, BackendInstance>> instances = new HashMap<>();

	public PoolRegistry(Map<String, SpillwayProperties.Pool> pools,
			BiFunction<String, SpillwayProperties.Backend, BackendState> states) {
		this.pools = Map.copyOf(pools);
		pools.forEach((name, pool) -> {
			BackendSelector selector = new BackendSelector(name, pool, backend -> states.apply(name, backend));
			selectors.put(name, selector);
			Map<String, BackendInstance> byId = new HashMap<>();
			selector.backends().forEach(b -> byId.put(b.id(), b));
			instances.put(name, Map.copyOf(byId));
		});
	}

	/** The pool a route leads to, or {@code null} when the route is not a Spillway route. */
	public String poolOf(Route route) {
		if (route == null) {
			return null;
		}
		URI uri = route.getUri();
		if (!LOAD_BALANCED_SCHEME.equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
			return null;
		}
		return pools.containsKey(uri.getHost()) ? uri.getHost() : null;
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

	/** Whether a request for {@code model} may be sent to {@code pool} (see {@link PoolModels}). */
	public boolean serves(String pool, String model) {
		SpillwayProperties.Pool config = pools.get(pool);
		return config != null && PoolModels.serves(config, model);
	}

	/** Whether some backend of {@code pool} puts the requested name into its URL path as the Azure deployment. */
	public boolean passesNameAsDeployment(String pool) {
		SpillwayProperties.Pool config = pools.get(pool);
		return config != null && PoolModels.passesNameAsDeployment(config);
	}

	public SpillwayProperties.Pool pool(String name) {
		return pools.get(name);
	}

	public Set<String> names() {
		return selectors.keySet();
	}

}
