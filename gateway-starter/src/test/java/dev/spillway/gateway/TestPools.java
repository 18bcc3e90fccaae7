package dev.spillway.gateway;

import org.springframework.test.context.DynamicPropertyRegistry;

/** Points the test routes' pool {@code gpt} at simulated deployments, one backend per deployment. */
public final class TestPools {

	private TestPools() {
	}

	/**
	 * One Azure-form backend per deployment, named after it, each in its own priority group in the order given (the
	 * first is preferred).
	 */
	public static void prioritised(DynamicPropertyRegistry registry, String baseUrl, String... deployments) {
		for (int i = 0; i < deployments.length; i++) {
			String deployment = deployments[i];
			int priority = i + 1;
			registry.add("spillway.pools.gpt.backends[" + i + "].id", () -> deployment);
			registry.add("spillway.pools.gpt.backends[" + i + "].type", () -> "azure");
			registry.add("spillway.pools.gpt.backends[" + i + "].deployment", () -> deployment);
			registry.add("spillway.pools.gpt.backends[" + i + "].url", () -> baseUrl);
			registry.add("spillway.pools.gpt.backends[" + i + "].priority", () -> priority);
		}
	}

	/** One Azure-form backend, {@code mock}, serving {@code deployment}. */
	public static void single(DynamicPropertyRegistry registry, String baseUrl, String deployment) {
		registry.add("spillway.pools.gpt.backends[0].id", () -> "mock");
		registry.add("spillway.pools.gpt.backends[0].type", () -> "azure");
		registry.add("spillway.pools.gpt.backends[0].deployment", () -> deployment);
		registry.add("spillway.pools.gpt.backends[0].url", () -> baseUrl);
	}

}
