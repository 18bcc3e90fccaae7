package dev.spillway.gateway.limit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/** Each policy for admissions while Redis cannot be reached, and none of them hangs. */
class LimitsWhenRedisIsDownTests {

	static final String BODY = "{\"model\":\"gpt-4o\",\"max_tokens\":300,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

	static final Map<String, String> KEY = Map.of("Authorization", "Bearer sk-acme");

	static final JsonMapper json = JsonMapper.builder().build();

	private final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	private final TestRedis redis = TestRedis.dedicated();

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	@AfterEach
	void stop() {
		instances.forEach(ConfigurableApplicationContext::close);
		backend.close();
		redis.stop();
	}

	@Test
	void failOpenAdmitsEverythingWithoutWaiting() {
		GatewayClient gateway = start("fail-open");
		redis.stop();

		for (int i = 0; i < 10; i++) {
			long started = System.nanoTime();
			Answer answer = gateway.post("/v1/chat/completions", KEY, BODY);
			assertThat(answer.status()).isEqualTo(200);
			assertThat((System.nanoTime() - started) / 1_000_000).as("bounded by the command timeout").isLessThan(2000);
		}
	}

	@Test
	void failClosedRefusesWith503() {
		GatewayClient gateway = start("fail-closed");
		redis.stop();

		Answer answer = gateway.post("/v1/chat/completions", KEY, BODY);

		assertThat(answer.status()).isEqualTo(503);
		assertThat(answer.body()).contains("\"code\":\"limits_unavailable\"");
		assertThat(answer.headers().get("Retry-After")).isEqualTo("1");
		assertThat(backend.requests()).isEmpty();
	}

	@Test
	void localEnforcesThisInstancesShare() {
		GatewayClient gateway = start("local");
		redis.stop();

		int admitted = 0;
		int refused = 0;
		for (int i = 0; i < 8; i++) {
			int status = gateway.post("/v1/chat/completions", KEY, BODY).status();
			if (status == 200) {
				admitted++;
			}
			else {
				assertThat(status).isEqualTo(429);
				refused++;
			}
		}

		// 2,000 tokens per minute shared by two instances: this one admits ~1,000, about three requests of ~310.
		assertThat(admitted).isBetween(3, 4);
		assertThat(refused).isEqualTo(8 - admitted);
	}

	@Test
	void localEnforcesThisInstancesShareOfASpendBudget() {
		// Tokens are not what stops it here: only the budget, 2.00 a day shared by two instances, at 1,000 per
		// million tokens (1,000 millionths a token); each request is estimated at its prompt plus 300 tokens.
		GatewayClient gateway = start("local", Map.of("spillway.limits.tiers.default.tokens-per-minute", 1_000_000_000,
				"spillway.limits.tiers.default.daily-budget", "2.00", "spillway.pricing.gpt-4o.input-per-million", 1000,
				"spillway.pricing.gpt-4o.output-per-million", 1000));
		redis.stop();

		long spent = 0;
		Answer refused = null;
		for (int i = 0; i < 200 && refused == null; i++) {
			Answer answer = gateway.post("/v1/chat/completions", KEY, BODY);
			if (answer.status() == 200) {
				spent += 1000 * json.readTree(answer.body()).path("usage").path("total_tokens").asLong();
			}
			else {
				refused = answer;
			}
		}

		assertThat(refused).isNotNull();
		assertThat(refused.status()).isEqualTo(429);
		assertThat(refused.body()).contains("\"code\":\"budget_exceeded\"");
		// This instance's share is 1.00: what it settled stays within it, and the next estimate (~310,000) did not fit.
		assertThat(spent).isLessThanOrEqualTo(1_000_000).isGreaterThan(1_000_000 - 2 * 310_000);
	}

	@Test
	void failClosedRefusesABudgetedTenantWith503() {
		GatewayClient gateway = start("fail-closed", Map.of("spillway.limits.tiers.default.tokens-per-minute", 1_000_000_000,
				"spillway.limits.tiers.default.daily-budget", "2.00", "spillway.pricing.gpt-4o.input-per-million", 1000,
				"spillway.pricing.gpt-4o.output-per-million", 1000));
		redis.stop();

		Answer answer = gateway.post("/v1/chat/completions", KEY, BODY);

		assertThat(answer.status()).isEqualTo(503);
		assertThat(answer.body()).contains("\"code\":\"limits_unavailable\"");
		assertThat(backend.requests()).isEmpty();
	}

	private GatewayClient start(String policy) {
		return start(policy, Map.of());
	}

	private GatewayClient start(String policy, Map<String, Object> extra) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", redis.url());
		properties.put("spring.data.redis.timeout", "300ms");
		properties.put("spillway.shared-state.command-timeout", "300ms");
		properties.put("spillway.limits.when-redis-down", policy);
		properties.put("spillway.limits.local-instances", 2);
		properties.put("spillway.limits.tiers.default.tokens-per-minute", 2_000);
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].type", "azure");
		properties.put("spillway.pools.gpt.backends[0].deployment", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl());
		properties.putAll(extra);
		ConfigurableApplicationContext context = new SpringApplicationBuilder(TestGatewayApplication.class)
			.properties(properties)
			.run();
		instances.add(context);
		GatewayClient gateway = new GatewayClient(((WebServerApplicationContext) context).getWebServer().getPort());
		assertThat(gateway.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-globex"),
				"{\"model\":\"gpt-4o\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"warm\"}]}")
			.status()).as("Redis reachable at first").isEqualTo(200);
		backend.clearRecords();
		return gateway;
	}

}
