package dev.spillway.gateway.limit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.request.Answer;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two gateway instances on one Redis, sixteen concurrent clients, one tenant with 10,000 tokens per minute: what
 * the backend reports as used by admitted requests stays within 5% of what the limit allows over the run.
 */
class LimitAccuracyAcrossInstancesTests {

	static final JsonMapper json = JsonMapper.builder().build();

	private final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	@AfterEach
	void stop() {
		instances.forEach(ConfigurableApplicationContext::close);
		backend.close();
	}

	@Test
	void tokensAdmittedAcrossTwoInstancesStayWithinFivePercentOfTheLimit() throws Exception {
		String prefix = "accuracy-" + UUID.randomUUID();
		GatewayClient one = client(startInstance(prefix));
		GatewayClient two = client(startInstance(prefix));
		String body = "{\"model\":\"gpt-4o\",\"max_tokens\":150,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		Map<String, String> key = Map.of("Authorization", "Bearer sk-acme");
		one.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-globex"), body);
		two.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-globex"), body);

		AtomicLong admittedTokens = new AtomicLong();
		AtomicLong refused = new AtomicLong();
		ExecutorService clients = Executors.newFixedThreadPool(16);
		long start = System.nanoTime();
		long end = start + TimeUnit.MILLISECONDS.toNanos(2500);
		List<Future<?>> running = new ArrayList<>();
		for (int c = 0; c < 16; c++) {
			GatewayClient gateway = c % 2 == 0 ? one : two;
			running.add(clients.submit(() -> {
				while (System.nanoTime() < end) {
					GatewayClient.Answer answer = gateway.post("/v1/chat/completions", key, body);
					if (answer.status() == 200) {
						admittedTokens.addAndGet(json.readTree(answer.body()).path("usage").path("total_tokens").asLong());
					}
					else {
						assertThat(answer.status()).isEqualTo(429);
						refused.incrementAndGet();
					}
				}
				return null;
			}));
		}
		for (Future<?> client : running) {
			client.get(30, TimeUnit.SECONDS);
		}
		clients.shutdown();
		double elapsedMinutes = (System.nanoTime() - start) / 60e9;

		double allowed = 10_000 + 10_000 * elapsedMinutes;
		assertThat(refused.get()).as("the limit was reached").isPositive();
		assertThat(admittedTokens.get() / allowed).isBetween(0.95, 1.05);
	}

	private ConfigurableApplicationContext startInstance(String prefix) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", prefix);
		properties.put("spillway.limits.tiers.default.tokens-per-minute", 10_000);
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].type", "azure");
		properties.put("spillway.pools.gpt.backends[0].deployment", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl());
		properties.put("logging.level.dev.spillway", "warn");
		ConfigurableApplicationContext context = new SpringApplicationBuilder(TestGatewayApplication.class)
			.properties(properties)
			.run();
		instances.add(context);
		return context;
	}

	private static GatewayClient client(ConfigurableApplicationContext context) {
		return new GatewayClient(((WebServerApplicationContext) context).getWebServer().getPort());
	}

}
