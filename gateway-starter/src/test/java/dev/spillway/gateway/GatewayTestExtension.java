package dev.spillway.gateway;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.spillway.mock.MockOpenAiServer;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;

/**
 * What {@link GatewayTest} sets up. As a {@link ContextCustomizerFactory} (registered in
 * {@code META-INF/spring.factories}) it gives every application context of a {@code @GatewayTest} class the Redis,
 * a fresh key prefix and the pool, below the class's own properties so that they can override any of it; as a JUnit
 * extension it closes the class's mock backend after its last test.
 */
public final class GatewayTestExtension implements AfterAllCallback, ContextCustomizerFactory {

	/** The class's mock backend's base URL, for tests that shape their pool in their properties. */
	public static final String BACKEND_URL = "spillway.test.backend-url";

	@Override
	public void afterAll(ExtensionContext context) {
		MockOpenAiServer backend = backendOf(context.getRequiredTestClass());
		if (backend != null) {
			backend.close();
		}
	}

	@Override
	public ContextCustomizer createContextCustomizer(Class<?> testClass,
			List<ContextConfigurationAttributes> configAttributes) {
		GatewayTest test = AnnotatedElementUtils.findMergedAnnotation(testClass, GatewayTest.class);
		return test == null ? null : new GatewayTestCustomizer(testClass, List.of(test.pool()), test.resetBackendOnStart());
	}

	/** The value of the class's one static {@link MockOpenAiServer} field, or {@code null} when it has none. */
	static MockOpenAiServer backendOf(Class<?> testClass) {
		List<Field> fields = new ArrayList<>();
		for (Class<?> type = testClass; type != null && type != Object.class; type = type.getSuperclass()) {
			for (Field field : type.getDeclaredFields()) {
				if (Modifier.isStatic(field.getModifiers()) && field.getType() == MockOpenAiServer.class) {
					fields.add(field);
				}
			}
		}
		if (fields.size() > 1) {
			throw new IllegalStateException(testClass.getName() + " has " + fields.size()
					+ " static mock backends; a @GatewayTest has at most one");
		}
		if (fields.isEmpty()) {
			return null;
		}
		try {
			fields.get(0).setAccessible(true);
			return (MockOpenAiServer) fields.get(0).get(null);
		}
		catch (IllegalAccessException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private record GatewayTestCustomizer(Class<?> testClass, List<String> pool, boolean resetBackend)
			implements ContextCustomizer {

		@Override
		public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration merged) {
			Map<String, Object> properties = new HashMap<>();
			properties.put("spring.data.redis.url", TestRedis.sharedUrl());
			properties.put("spillway.shared-state.key-prefix", "test-" + UUID.randomUUID());
			MockOpenAiServer backend = backendOf(testClass);
			if (backend != null) {
				if (resetBackend) {
					backend.reset();
				}
				properties.put(BACKEND_URL, backend.baseUrl());
				pool(properties, backend.baseUrl());
			}
			else if (!pool.isEmpty()) {
				throw new IllegalStateException(testClass.getName() + " names a pool but has no mock backend");
			}
			// Last: application.yml, the class's properties and its @DynamicPropertySource all win over these.
			context.getEnvironment().getPropertySources().addLast(new MapPropertySource("gatewayTest", properties));
		}

		private void pool(Map<String, Object> properties, String baseUrl) {
			boolean single = pool.size() == 1;
			for (int i = 0; i < pool.size(); i++) {
				String backend = "spillway.pools.gpt.backends[" + i + "].";
				properties.put(backend + "id", single ? "mock" : pool.get(i));
				properties.put(backend + "type", "azure");
				properties.put(backend + "deployment", pool.get(i));
				properties.put(backend + "url", baseUrl);
				if (!single) {
					properties.put(backend + "priority", i + 1);
				}
			}
		}

		// One context per test class: each has its own backend.
		@Override
		public boolean equals(Object other) {
			return other instanceof GatewayTestCustomizer that && testClass == that.testClass
					&& pool.equals(that.pool) && resetBackend == that.resetBackend;
		}

		@Override
		public int hashCode() {
			return Objects.hash(testClass, pool, resetBackend);
		}

	}

}
