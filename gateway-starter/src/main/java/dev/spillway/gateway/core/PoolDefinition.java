package dev.spillway.gateway.core;

import java.time.Duration;
import java.util.List;

/**
 * One pool as the runtime knows it: immutable, built once from {@link PoolProperties}.
 *
 * @param name the pool's name (the host of {@code lb://<pool>})
 * @param models names clients may ask for ({@value PoolModels#ANY}: any)
 * @param backends its backends, in configuration order
 * @param maxWait its spill budget
 * @param maxAttempts the most backend calls one request may make
 * @param deadline time from arrival after which no new attempt starts
 * @param encoding its tokenizer encoding, or {@code null} to choose by model name
 * @param fallback where a request goes when the pool cannot take it, or {@code null}
 * @param contextFallback where a request goes on {@code context_length_exceeded}, or {@code null}
 */
public record PoolDefinition(String name, List<String> models, List<BackendDefinition> backends, Duration maxWait,
		int maxAttempts, Duration deadline, String encoding, Target fallback, Target contextFallback) {

	/** Another pool, and the model to ask for there ({@code null}: the model the client asked for). */
	public record Target(String pool, String model) {

		static Target of(PoolProperties.Fallback fallback) {
			return fallback == null ? null : new Target(fallback.getPool(), fallback.getModel());
		}

	}

	static PoolDefinition of(String name, PoolProperties pool) {
		return new PoolDefinition(name, List.copyOf(pool.getModels()),
				pool.getBackends().stream().map(backend -> BackendDefinition.of(name, backend)).toList(),
				pool.getMaxWait(), pool.getMaxAttempts(), pool.getDeadline(), pool.getEncoding(),
				Target.of(pool.getFallback()), Target.of(pool.getContextFallback()));
	}

	/** Whether a request for {@code model} may be sent to this pool (see {@link PoolModels}). */
	public boolean serves(String model) {
		return models.isEmpty() && backends.stream().allMatch(b -> b.modelAtBackend(null) != null)
				|| models.contains(PoolModels.ANY) || model != null && models.contains(model);
	}

	/** Whether some backend puts the requested name into its URL path as the Azure deployment. */
	public boolean passesNameAsDeployment() {
		return backends.stream()
			.anyMatch(b -> b.type() == BackendProperties.BackendType.AZURE && b.deployment() == null);
	}

}
