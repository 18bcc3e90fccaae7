package dev.spillway.gateway.core;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.springframework.cloud.gateway.route.Route;

/** The configured pools, and which routes lead to them ({@code uri: lb://<pool>}). Immutable. */
public final class Pools {

	private static final String LOAD_BALANCED_SCHEME = "lb";

	private final Map<String, PoolDefinition> pools;

	public Pools(Map<String, PoolProperties> pools) {
		Map<String, PoolDefinition> definitions = new LinkedHashMap<>();
		pools.forEach((name, pool) -> definitions.put(name, PoolDefinition.of(name, pool)));
		this.pools = java.util.Collections.unmodifiableMap(definitions);
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

	/** A pool by name, or {@code null}. */
	public PoolDefinition pool(String name) {
		return name == null ? null : pools.get(name);
	}

	/** Whether a request for {@code model} may be sent to {@code pool}. */
	public boolean serves(String pool, String model) {
		PoolDefinition definition = pool(pool);
		return definition != null && definition.serves(model);
	}

	/** Whether some backend of {@code pool} puts the requested name into its URL path as the Azure deployment. */
	public boolean passesNameAsDeployment(String pool) {
		PoolDefinition definition = pool(pool);
		return definition != null && definition.passesNameAsDeployment();
	}

	/**
	 * Whether {@code model} may be sent to {@code pool} and, where that pool puts it into a URL path, is a safe path
	 * segment: the check for a name a rule or fallback sends on the client's behalf.
	 */
	public boolean accepts(String pool, String model) {
		return serves(pool, model) && (!passesNameAsDeployment(pool) || ModelNames.deploymentProblem(model) == null);
	}

	/** Pool names, in configuration order. */
	public Set<String> names() {
		return pools.keySet();
	}

	/** Every pool, by name, in configuration order. */
	public Map<String, PoolDefinition> all() {
		return pools;
	}

}
