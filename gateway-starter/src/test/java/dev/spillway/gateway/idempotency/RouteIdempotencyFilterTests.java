package dev.spillway.gateway.idempotency;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.TestGateways;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Per-route {@code Idempotency-Key} settings as a route filter, {@code LlmIdempotency=<ttl>}: the route's TTL is
 * the kept answer's, {@code enabled: false} leaves keys alone on that route only, and wrong values or a use while
 * idempotency is off fail start-up naming the route.
 */
class RouteIdempotencyFilterTests {

	static final String CHAT = """
			{"model":"gpt-4o","messages":[{"role":"user","content":"Say hi"}]}""";

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withCompletionTokens(4));

	@AfterAll
	static void stop() {
		backend.close();
	}

	@Test
	void aRouteWithLlmIdempotencyKeepsAnswersForItsTtl() {
		String prefix = "route-idem-" + UUID.randomUUID();
		try (ConfigurableApplicationContext gateway = start(prefix,
				Map.of("spring.cloud.gateway.server.webflux.routes[1].filters[0]", "LlmIdempotency=90s"))) {
			GatewayClient client = TestGateways.client(gateway);
			Map<String, String> tuned = headers("tuned-1");
			Answer first = client.post("/tuned/v1/chat/completions", tuned, CHAT);
			Answer replay = client.post("/tuned/v1/chat/completions", tuned, CHAT);
			assertThat(first.status()).isEqualTo(200);
			assertThat(replay.headers().get("Idempotent-Replayed")).isEqualTo("true");
			Map<String, String> global = headers("global-1");
			client.post("/v1/chat/completions", global, CHAT);
			assertThat(client.post("/v1/chat/completions", global, CHAT).headers().get("Idempotent-Replayed"))
				.isEqualTo("true");

			Map<String, Long> ttls = recordTtls(prefix);
			assertThat(ttls).hasSize(2);
			// The route's 90 s against the global 24 h.
			assertThat(ttls.values()).anySatisfy(ttl -> assertThat(ttl).isBetween(1L, 90L));
			assertThat(ttls.values()).anySatisfy(ttl -> assertThat(ttl).isBetween(86_000L, 86_400L));
		}
	}

	@Test
	void aRouteCanLeaveKeysAlone() {
		String prefix = "route-idem-" + UUID.randomUUID();
		try (ConfigurableApplicationContext gateway = start(prefix,
				Map.of("spring.cloud.gateway.server.webflux.routes[1].filters[0].name", "LlmIdempotency",
						"spring.cloud.gateway.server.webflux.routes[1].filters[0].args.enabled", "false"))) {
			GatewayClient client = TestGateways.client(gateway);
			long before = backend.requestCount("gpt-4o");
			Map<String, String> off = headers("off-1");
			client.post("/tuned/v1/chat/completions", off, CHAT);
			Answer second = client.post("/tuned/v1/chat/completions", off, CHAT);
			assertThat(second.headers().get("Idempotent-Replayed")).isNull();
			assertThat(backend.requestCount("gpt-4o") - before).isEqualTo(2);
			assertThat(recordTtls(prefix)).isEmpty();

			// The other route still honours keys.
			Map<String, String> on = headers("on-1");
			client.post("/v1/chat/completions", on, CHAT);
			assertThat(client.post("/v1/chat/completions", on, CHAT).headers().get("Idempotent-Replayed"))
				.isEqualTo("true");
		}
	}

	@Test
	void anInvalidTtlFailsStartUpNamingTheRoute() {
		assertThatThrownBy(() -> start("route-idem-" + UUID.randomUUID(),
				Map.of("spring.cloud.gateway.server.webflux.routes[1].filters[0]", "LlmIdempotency=-5m")))
			.satisfies(failure -> assertThat(TestGateways.messages(failure)).contains("Route 'tuned'")
				.contains("ttl must be positive"));
	}

	@Test
	void theFilterOnAGatewayWhoseIdempotencyIsOffFailsStartUp() {
		assertThatThrownBy(() -> start("route-idem-" + UUID.randomUUID(),
				Map.of("spring.cloud.gateway.server.webflux.routes[1].filters[0]", "LlmIdempotency=1h",
						"spillway.idempotency.enabled", "false")))
			.satisfies(failure -> assertThat(TestGateways.messages(failure))
				.contains("Route 'tuned' has the LlmIdempotency filter, but Idempotency-Key handling is off"));
	}

	private static Map<String, String> headers(String key) {
		return Map.of("Authorization", "Bearer sk-acme", "Idempotency-Key", key + "-" + UUID.randomUUID());
	}

	private static ConfigurableApplicationContext start(String prefix, Map<String, Object> overrides) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", prefix);
		properties.put("spillway.pools.gpt.models", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].type", "azure");
		properties.put("spillway.pools.gpt.backends[0].deployment", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl());
		properties.put("spring.cloud.gateway.server.webflux.routes[0].id", "openai-form");
		properties.put("spring.cloud.gateway.server.webflux.routes[0].uri", "lb://gpt");
		properties.put("spring.cloud.gateway.server.webflux.routes[0].predicates[0]", "Path=/v1/**");
		properties.put("spring.cloud.gateway.server.webflux.routes[1].id", "tuned");
		properties.put("spring.cloud.gateway.server.webflux.routes[1].uri", "lb://gpt");
		properties.put("spring.cloud.gateway.server.webflux.routes[1].predicates[0]", "Path=/tuned/v1/**");
		properties.putAll(overrides);
		return TestGateways.start(properties);
	}

	/** The TTL in seconds of every idempotency record under {@code prefix}, by key. */
	private static Map<String, Long> recordTtls(String prefix) {
		try (StatefulRedisConnection<String, String> redis = TestRedis.connect(TestRedis.sharedUrl())) {
			List<String> keys = new ArrayList<>();
			ScanIterator.scan(redis.sync(), ScanArgs.Builder.matches(prefix + ":idem:*").limit(1_000))
				.forEachRemaining(keys::add);
			Map<String, Long> ttls = new HashMap<>();
			keys.forEach(key -> ttls.put(key, redis.sync().ttl(key)));
			return ttls;
		}
	}

}
