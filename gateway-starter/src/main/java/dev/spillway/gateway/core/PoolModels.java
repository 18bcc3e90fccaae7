package dev.spillway.gateway.core;

import java.util.Map;

import org.springframework.validation.Errors;

/**
 * Which model names a pool serves, and the start-up checks that keep pools closed: a client's name reaches a
 * backend (with the gateway's key) only when the pool lists it, or lists {@value #ANY} on purpose. A pool whose
 * every backend has a fixed deployment (Azure) or model (OpenAI form) never forwards the client's name, so it needs
 * no list.
 */
public final class PoolModels {

	/** The {@code models} entry that lets clients ask for any name: a deliberate opt-in. */
	public static final String ANY = "*";

	private PoolModels() {
	}

	/** Rejects open pools, unsafe names, and fallbacks whose model the target pool does not serve. */
	static void check(Map<String, PoolProperties> pools, Errors errors) {
		Pools definitions = new Pools(pools);
		pools.forEach((name, pool) -> {
			PoolDefinition definition = definitions.pool(name);
			// With no list, a pool serves only when every backend's name is fixed.
			if (pool.getModels().isEmpty() && !pool.getBackends().isEmpty() && !definition.serves(null)) {
				errors.reject("spillway.pools.open", "Pool '" + name + "' has no models allow-list and not every backend "
						+ "has a fixed deployment (azure) or model (openai), so it would send any name a client asks for "
						+ "to its backends with the gateway's key. List the names clients may ask for:\n\n"
						+ "    spillway:\n      pools:\n        " + name + ":\n          models: [ gpt-4o ]\n\n"
						+ "or allow any name on purpose with models: [ \"*\" ], or set deployment (azure) / model (openai) "
						+ "on every backend of the pool.");
			}
			boolean asDeployment = definition.passesNameAsDeployment();
			for (String model : pool.getModels()) {
				String problem = ANY.equals(model) ? null
						: asDeployment ? ModelNames.deploymentProblem(model) : ModelNames.modelProblem(model);
				if (problem != null) {
					errors.reject("spillway.pools.models", "spillway.pools." + name + ".models: '"
							+ ModelNames.forLog(model) + "' " + problem);
				}
			}
			for (BackendProperties backend : pool.getBackends()) {
				String problem = backend.getDeployment() == null ? null : ModelNames.deploymentProblem(backend.getDeployment());
				if (problem == null && backend.getModel() != null) {
					problem = ModelNames.modelProblem(backend.getModel());
				}
				if (problem != null) {
					errors.reject("spillway.pools.backends", "spillway.pools." + name + ".backends[" + backend.getId()
							+ "]: deployment / model " + problem);
				}
			}
			PoolProperties.Fallback fallback = pool.getFallback();
			PoolProperties.Fallback contextFallback = pool.getContextFallback();
			checkTarget(definitions, "spillway.pools." + name + ".fallback", fallback == null ? null : fallback.getPool(),
					fallback == null ? null : fallback.getModel(), errors);
			checkTarget(definitions, "spillway.pools." + name + ".context-fallback",
					contextFallback == null ? null : contextFallback.getPool(),
					contextFallback == null ? null : contextFallback.getModel(), errors);
		});
	}

	/**
	 * Rejects sending {@code model} (where known) to {@code targetPool} when that pool does not serve it, with the
	 * YAML that would fix it. Unknown pools are left to the check that names them.
	 */
	public static void checkTarget(Pools pools, String where, String targetPool, String model, Errors errors) {
		PoolDefinition target = pools.pool(targetPool);
		if (target == null || model == null) {
			return;
		}
		if (!target.serves(model)) {
			errors.reject("spillway.routing.target", where + " sends model '" + ModelNames.forLog(model) + "' to pool '"
					+ targetPool + "', which does not serve it. Add it to that pool's list:\n\n"
					+ "    spillway:\n      pools:\n        " + targetPool + ":\n          models: [ "
					+ ModelNames.forLog(model) + " ]\n");
		}
	}

}
