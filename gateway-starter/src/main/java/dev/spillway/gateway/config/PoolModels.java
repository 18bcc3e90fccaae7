package dev.spillway.gateway.config;

import java.util.List;
import java.util.Map;

import dev.spillway.gateway.config.SpillwayProperties.Backend;
import dev.spillway.gateway.config.SpillwayProperties.BackendType;
import dev.spillway.gateway.config.SpillwayProperties.Fallback;
import dev.spillway.gateway.config.SpillwayProperties.Pool;
import dev.spillway.gateway.config.SpillwayProperties.RoutingRule;
import dev.spillway.gateway.request.ModelNames;

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

	/** Whether a request for {@code model} may be sent to {@code pool}. */
	public static boolean serves(Pool pool, String model) {
		List<String> models = pool.getModels();
		return models.isEmpty() && allFixed(pool) || models.contains(ANY) || model != null && models.contains(model);
	}

	/** Whether some backend of the pool puts the requested name into its URL as the Azure deployment. */
	public static boolean passesNameAsDeployment(Pool pool) {
		return pool.getBackends().stream().anyMatch(b -> b.getType() == BackendType.AZURE && b.getDeployment() == null);
	}

	private static boolean fixed(Backend backend) {
		return backend.getType() == BackendType.AZURE ? backend.getDeployment() != null : backend.getModel() != null;
	}

	private static boolean allFixed(Pool pool) {
		return pool.getBackends().stream().allMatch(PoolModels::fixed);
	}

	/** Rejects open pools, unsafe names, and fallbacks or rules whose model the target pool does not serve. */
	static void check(SpillwayProperties properties, Errors errors) {
		Map<String, Pool> pools = properties.getPools();
		pools.forEach((name, pool) -> {
			if (pool.getModels().isEmpty() && !pool.getBackends().isEmpty() && !allFixed(pool)) {
				errors.reject("spillway.pools.open", "Pool '" + name + "' has no models allow-list and not every backend "
						+ "has a fixed deployment (azure) or model (openai), so it would send any name a client asks for "
						+ "to its backends with the gateway's key. List the names clients may ask for:\n\n"
						+ "    spillway:\n      pools:\n        " + name + ":\n          models: [ gpt-4o ]\n\n"
						+ "or allow any name on purpose with models: [ \"*\" ], or set deployment (azure) / model (openai) "
						+ "on every backend of the pool.");
			}
			boolean asDeployment = passesNameAsDeployment(pool);
			for (String model : pool.getModels()) {
				String problem = ANY.equals(model) ? null
						: asDeployment ? ModelNames.deploymentProblem(model) : ModelNames.modelProblem(model);
				if (problem != null) {
					errors.reject("spillway.pools.models", "spillway.pools." + name + ".models: '"
							+ ModelNames.forLog(model) + "' " + problem);
				}
			}
			for (Backend backend : pool.getBackends()) {
				String problem = backend.getDeployment() == null ? null : ModelNames.deploymentProblem(backend.getDeployment());
				if (problem == null && backend.getModel() != null) {
					problem = ModelNames.modelProblem(backend.getModel());
				}
				if (problem != null) {
					errors.reject("spillway.pools.backends", "spillway.pools." + name + ".backends[" + backend.getId()
							+ "]: deployment / model " + problem);
				}
			}
			checkTarget(pools, "spillway.pools." + name + ".fallback", pool.getFallback(), null, errors);
			checkTarget(pools, "spillway.pools." + name + ".context-fallback", pool.getContextFallback(), null, errors);
		});
		List<RoutingRule> rules = properties.getRouting().getRules();
		for (int i = 0; i < rules.size(); i++) {
			RoutingRule rule = rules.get(i);
			checkTarget(pools, "spillway.routing.rules[" + i + "]", rule, rule.getWhen().getModel(), errors);
		}
	}

	private static void checkTarget(Map<String, Pool> pools, String where, Fallback target, String impliedModel,
			Errors errors) {
		if (target == null || target.getPool() == null || !pools.containsKey(target.getPool())) {
			return;
		}
		String model = target.getModel() != null ? target.getModel() : impliedModel;
		if (model != null && !serves(pools.get(target.getPool()), model)) {
			errors.reject("spillway.routing.target", where + " sends model '" + ModelNames.forLog(model) + "' to pool '"
					+ target.getPool() + "', which does not serve it. Add it to that pool's list:\n\n"
					+ "    spillway:\n      pools:\n        " + target.getPool() + ":\n          models: [ "
					+ ModelNames.forLog(model) + " ]\n");
		}
	}

}
