package dev.spillway.gateway.cache;

import java.time.Duration;
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
import org.junit.jupiter.api.extension.ExtendWith;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.TestGateways;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Per-route cache settings as a route filter, {@code LlmCache=<ttl>,<threshold>}: they override the global ones on
 * their route only, are checked when the gateway starts (a wrong value fails start-up naming the route), and the
 * older metadata form still works and warns.
 */
@ExtendWith(OutputCaptureExtension.class)
class RouteCacheFilterTests {

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withCompletionTokens(6));

	@AfterAll
	static void stop() {
		backend.close();
	}

	@Test
	void aRouteWithLlmCacheKeepsAnswersForItsTtlAndAsksItsThreshold() {
		String prefix = "route-cache-" + UUID.randomUUID();
		try (ConfigurableApplicationContext gateway = start(prefix, Map.of(
				"spring.cloud.gateway.server.webflux.routes[1].filters[0]", "LlmCache=10m,0.999"))) {
			GatewayClient client = TestGateways.client(gateway);

			// The route's TTL: the entry expires within 10 minutes; the global default keeps it for an hour.
			String tuned = ResponseCacheTests.chat("What is the tallest mountain in Europe?", false, null, null);
			assertThat(client.post("/tuned/v1/chat/completions", ACME, tuned).headers().get("x-spillway-cache"))
				.isEqualTo("MISS");
			awaitOutcome(client, "/tuned/v1/chat/completions", tuned, "HIT");
			String global = ResponseCacheTests.chat("What is the longest river in Europe?", false, null, null);
			client.post("/v1/chat/completions", ACME, global);
			awaitOutcome(client, "/v1/chat/completions", global, "HIT");
			List<Long> ttls = entryTtls(prefix);
			assertThat(ttls).hasSize(2);
			assertThat(ttls).anySatisfy(ttl -> assertThat(ttl).isBetween(1L, 600L));
			assertThat(ttls).anySatisfy(ttl -> assertThat(ttl).isBetween(601L, 3600L));

			// The route's threshold: a reworded question that is a semantic hit at the global 0.93 is a miss at 0.999.
			client.post("/v1/chat/completions", ACME, ResponseCacheTests.chat("How do I reset my password?", false,
					null, null));
			Answer globalHit = awaitOutcome(client, "/v1/chat/completions",
					ResponseCacheTests.chat("How can I reset my password?", false, null, null), "SEMANTIC_HIT");
			assertThat(Double.parseDouble(globalHit.headers().get("x-spillway-cache-similarity"))).isLessThan(0.999);
			client.post("/tuned/v1/chat/completions", ACME, ResponseCacheTests.chat("How do I reset my password?",
					false, null, null));
			awaitOutcome(client, "/tuned/v1/chat/completions", ResponseCacheTests.chat("How do I reset my password?",
					false, null, null), "HIT");
			assertThat(client.post("/tuned/v1/chat/completions", ACME,
					ResponseCacheTests.chat("How can I reset my password?", false, null, null))
				.headers()
				.get("x-spillway-cache")).isEqualTo("MISS");
		}
	}

	@Test
	void anInvalidValueFailsStartUpNamingTheRoute() {
		assertThatThrownBy(() -> start("route-cache-" + UUID.randomUUID(),
				Map.of("spring.cloud.gateway.server.webflux.routes[1].filters[0]", "LlmCache=10m,1.5")))
			.satisfies(failure -> assertThat(TestGateways.messages(failure)).contains("Route 'tuned'")
				.contains("similarityThreshold must be above 0 and at most 1, was 1.5"));
		assertThatThrownBy(() -> start("route-cache-" + UUID.randomUUID(),
				Map.of("spring.cloud.gateway.server.webflux.routes[1].filters[0]", "LlmCache=soon,0.9")))
			.satisfies(failure -> assertThat(TestGateways.messages(failure)).contains("Route 'tuned'")
				.contains("LlmCache"));
	}

	@Test
	void theFilterOnAGatewayWhoseCacheIsOffFailsStartUp() {
		assertThatThrownBy(() -> start("route-cache-" + UUID.randomUUID(),
				Map.of("spring.cloud.gateway.server.webflux.routes[1].filters[0]", "LlmCache=10m,0.97",
						"spillway.cache.enabled", "false")))
			.satisfies(failure -> assertThat(TestGateways.messages(failure))
				.contains("Route 'tuned' has the LlmCache filter, but the response cache is off"));
	}

	@Test
	void theMetadataFormStillWorksAndWarns(CapturedOutput output) {
		String prefix = "route-cache-" + UUID.randomUUID();
		try (ConfigurableApplicationContext gateway = start(prefix,
				Map.of("spring.cloud.gateway.server.webflux.routes[1].metadata.spillway.cache.ttl", "5m"))) {
			GatewayClient client = TestGateways.client(gateway);
			String question = ResponseCacheTests.chat("What is the deepest lake in Europe?", false, null, null);
			client.post("/tuned/v1/chat/completions", ACME, question);
			awaitOutcome(client, "/tuned/v1/chat/completions", question, "HIT");

			assertThat(entryTtls(prefix)).singleElement().satisfies(ttl -> assertThat(ttl).isBetween(1L, 300L));
			assertThat(output).contains("Route 'tuned' sets cache settings in its metadata (spillway.cache), which is "
					+ "deprecated");
		}
	}

	@Test
	void anInvalidMetadataValueFailsStartUpNamingTheRoute() {
		assertThatThrownBy(() -> start("route-cache-" + UUID.randomUUID(),
				Map.of("spring.cloud.gateway.server.webflux.routes[1].metadata.spillway.cache.similarity-threshold",
						"high")))
			.satisfies(failure -> assertThat(TestGateways.messages(failure))
				.contains("Route 'tuned': metadata spillway.cache is not valid: similarity-threshold must be a number"));
	}

	private static ConfigurableApplicationContext start(String prefix, Map<String, Object> overrides) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", prefix);
		properties.put("spillway.cache.enabled", "true");
		properties.put("spillway.cache.max-temperature", "0.5");
		properties.put("spillway.cache.embedding.timeout", "2s");
		properties.put("spillway.cache.lookup-timeout", "3s");
		properties.put("spillway.pools.gpt.models", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].type", "azure");
		properties.put("spillway.pools.gpt.backends[0].deployment", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl());
		// The usual route, and the route under test.
		properties.put("spring.cloud.gateway.server.webflux.routes[0].id", "openai-form");
		properties.put("spring.cloud.gateway.server.webflux.routes[0].uri", "lb://gpt");
		properties.put("spring.cloud.gateway.server.webflux.routes[0].predicates[0]", "Path=/v1/**");
		properties.put("spring.cloud.gateway.server.webflux.routes[1].id", "tuned");
		properties.put("spring.cloud.gateway.server.webflux.routes[1].uri", "lb://gpt");
		properties.put("spring.cloud.gateway.server.webflux.routes[1].predicates[0]", "Path=/tuned/v1/**");
		properties.putAll(overrides);
		return TestGateways.start(properties);
	}

	private static Answer awaitOutcome(GatewayClient client, String path, String body, String expected) {
		Answer[] last = new Answer[1];
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
			last[0] = client.post(path, ACME, body);
			return expected.equals(last[0].headers().get("x-spillway-cache"));
		});
		return last[0];
	}

	/** The TTL in seconds of every cached answer under {@code prefix}. */
	private static List<Long> entryTtls(String prefix) {
		try (StatefulRedisConnection<String, String> redis = TestRedis.connect(TestRedis.sharedUrl())) {
			List<String> keys = new ArrayList<>();
			ScanIterator.scan(redis.sync(), ScanArgs.Builder.matches(prefix + ":cache:*").limit(1_000))
				.forEachRemaining(keys::add);
			return keys.stream()
				.filter(key -> "string".equals(redis.sync().type(key)))
				.map(key -> redis.sync().ttl(key))
				.filter(ttl -> ttl > 0)
				.toList();
		}
	}

}
