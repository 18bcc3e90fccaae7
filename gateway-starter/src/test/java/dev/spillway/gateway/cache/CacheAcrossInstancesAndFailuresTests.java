package dev.spillway.gateway.cache;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.TestWireMock;
import dev.spillway.gateway.limit.TenantBuckets;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The cache shared by two instances, and what happens when Redis or the embeddings endpoint is away. */
class CacheAcrossInstancesAndFailuresTests {

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	private final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	private final List<TestRedis> redises = new ArrayList<>();

	@AfterEach
	void stop() {
		instances.forEach(ConfigurableApplicationContext::close);
		backend.close();
		redises.forEach(TestRedis::stop);
	}

	@Test
	void anEntryStoredThroughOneInstanceIsAHitThroughTheOther() {
		String prefix = "cache-" + UUID.randomUUID();
		GatewayClient one = client(start(TestRedis.sharedUrl(), prefix, Map.of()));
		GatewayClient two = client(start(TestRedis.sharedUrl(), prefix, Map.of()));

		assertThat(outcome(one, "What is the chemical symbol for gold?")).isEqualTo("MISS");

		await().atMost(Duration.ofSeconds(5)).until(() -> "HIT".equals(outcome(two, "What is the chemical symbol for gold?")));
		await().atMost(Duration.ofSeconds(5))
			.until(() -> "SEMANTIC_HIT".equals(outcome(two, "Which chemical symbol stands for gold?")));
		assertThat(backend.requests()).hasSize(1);
	}

	@Test
	void withRedisDownRequestsAreServedAsMisses() {
		TestRedis redis = TestRedis.dedicated();
		redises.add(redis);
		GatewayClient gateway = client(start(redis.url(), "down", Map.of("spring.data.redis.timeout", "300ms",
				"spillway.shared-state.command-timeout", "300ms")));
		redis.stop();

		for (int i = 0; i < 3; i++) {
			long started = System.nanoTime();
			Answer answer = post(gateway, "Why is the sky blue?");
			assertThat(answer.status()).isEqualTo(200);
			assertThat(answer.headers().get("x-spillway-cache")).isEqualTo("MISS");
			assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(3000);
		}
		assertThat(backend.requests()).hasSize(3);
	}

	@Test
	void withTheEmbeddingsEndpointDownRequestsAreServedAndExactHitsStillWork() throws IOException {
		int deadPort;
		try (ServerSocket socket = new ServerSocket(0)) {
			deadPort = socket.getLocalPort();
		}
		GatewayClient gateway = client(start(TestRedis.sharedUrl(), "noembed-" + UUID.randomUUID(),
				Map.of("spillway.cache.embedding.type", "openai", "spillway.cache.embedding.url",
						"http://127.0.0.1:" + deadPort + "/v1")));

		Answer first = post(gateway, "How many continents are there?");
		assertThat(first.status()).isEqualTo(200);
		assertThat(first.headers().get("x-spillway-cache")).isEqualTo("MISS");
		assertThat(post(gateway, "How many continents does the world have?").headers().get("x-spillway-cache"))
			.isEqualTo("MISS");
		await().atMost(Duration.ofSeconds(5)).until(() -> "HIT".equals(outcome(gateway, "How many continents are there?")));
	}

	@Test
	void anEmbeddingsEndpointThatHangsCostsTheLookupTimeoutAndNoMore() {
		WireMockServer hanging = TestWireMock.started();
		try {
			hanging.stubFor(WireMock.post(WireMock.urlPathMatching(".*/embeddings")).willReturn(WireMock.aResponse()
				.withFixedDelay(20_000)
				.withHeader("Content-Type", "application/json")
				.withBody("{\"data\":[{\"embedding\":[0.1,0.2]}]}")));
			GatewayClient gateway = client(start(TestRedis.sharedUrl(), "hanging-" + UUID.randomUUID(),
					Map.of("spillway.cache.embedding.type", "openai", "spillway.cache.embedding.url",
							hanging.baseUrl() + "/v1", "spillway.cache.embedding.timeout", "300ms",
							"spillway.cache.lookup-timeout", "500ms")));

			for (String question : List.of("Which river is the longest?", "What is the longest river?")) {
				long started = System.nanoTime();
				Answer answer = post(gateway, question);
				assertThat(answer.status()).isEqualTo(200);
				assertThat(answer.headers().get("x-spillway-cache")).isEqualTo("MISS");
				assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(2000);
			}
			await().atMost(Duration.ofSeconds(5)).until(() -> "HIT".equals(outcome(gateway, "Which river is the longest?")));
		}
		finally {
			hanging.stop();
		}
	}

	@Test
	void hitsChargeNoTenantTokens() {
		ConfigurableApplicationContext context = start(TestRedis.sharedUrl(), "free-" + UUID.randomUUID(),
				Map.of("spillway.limits.tiers.default.tokens-per-minute", "6000"));
		GatewayClient gateway = client(context);
		post(gateway, "What is the currency of Switzerland?");
		await().atMost(Duration.ofSeconds(5))
			.until(() -> "HIT".equals(outcome(gateway, "What is the currency of Switzerland?")));
		await().atMost(Duration.ofSeconds(5))
			.until(() -> TenantBuckets.availableTokens(context, "acme", "gpt-4o") == 6_000);
		long before = TenantBuckets.availableTokens(context, "acme", "gpt-4o");

		for (int i = 0; i < 5; i++) {
			assertThat(outcome(gateway, "What is the currency of Switzerland?")).isEqualTo("HIT");
		}

		// 100 tokens a second refill: five hits' reservations (~5,200 tokens) only come back if they are refunded.
		await().atMost(Duration.ofSeconds(2)).untilAsserted(
				() -> assertThat(TenantBuckets.availableTokens(context, "acme", "gpt-4o")).isGreaterThanOrEqualTo(before));
	}

	private ConfigurableApplicationContext start(String redisUrl, String prefix, Map<String, String> extra) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", redisUrl);
		properties.put("spillway.shared-state.key-prefix", prefix);
		properties.put("spillway.cache.enabled", true);
		properties.put("spillway.cache.embedding.timeout", "2s");
		properties.put("spillway.cache.lookup-timeout", "3s");
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].type", "azure");
		properties.put("spillway.pools.gpt.backends[0].deployment", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl());
		properties.putAll(extra);
		ConfigurableApplicationContext context = new SpringApplicationBuilder(TestGatewayApplication.class)
			.properties(properties)
			.run();
		instances.add(context);
		return context;
	}

	private static String outcome(GatewayClient gateway, String question) {
		return post(gateway, question).headers().get("x-spillway-cache");
	}

	private static Answer post(GatewayClient gateway, String question) {
		return gateway.post("/v1/chat/completions", ACME,
				"{\"model\":\"gpt-4o\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]}");
	}

	private static GatewayClient client(ConfigurableApplicationContext context) {
		return new GatewayClient(((WebServerApplicationContext) context).getWebServer().getPort());
	}

}
