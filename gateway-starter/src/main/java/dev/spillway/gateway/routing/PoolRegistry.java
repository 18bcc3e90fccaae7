package dev.spillway.gateway.routing;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.spillway.gateway.config.SpillwayProperties;

import org.springframework.cloud.gateway.route.Route;

/** The configured pools, and which routes lead to them ({@code uri: lb://<pool>}). */
public final class PoolRegistry {

	private static final String LOAD_BALANCED_SCHEME = "lb";

	private final Map<String, SpillwayProperties.Pool> pools;

	private final Map<String, BackendSelector> selectors = new LinkedHashMap<>();

	public PoolRegistry(Map<String, SpillwayProperties.Pool> pools) {
		this.pools = Map.copyOf(pools);
		pools.forEach((name, pool) -> selectors.put(name, new BackendSelector(name, pool)));
	}

	/** The backend selector of a pool, or {@code null} when there is no such pool. */
	public BackendSelector selector(String pool) {
		return pool == null ? null : selectors.get(pool);
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

	public SpillwayProperties.Pool pool(String name) {
		return pools.get(name);
	}

	public Set<String> names() {
		return pools.keySet();
	}

}
