package dev.spillway.gateway.limit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.TestClock;
import dev.spillway.gateway.TestGateways;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Spend budgets across two gateway instances on one Redis, JSON and streamed answers alternating, priced at 1,000
 * per million input tokens and 2,000 per million output tokens (so a token costs 1,000 or 2,000 millionths). The
 * instances share a stopped clock: budgets renew only when the test moves it.
 */
class SpendBudgetTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final Map<String, String> KEY = Map.of("Authorization", "Bearer sk-acme");

	private final MockOpenAiServer backend = MockOpenAiServer.start(
			MockDeployment.unlimited("gpt-4o").withCompletionTokens(20).withInterTokenDelay(Duration.ZERO),
			MockDeployment.unlimited("house-model").withCompletionTokens(20).withInterTokenDelay(Duration.ZERO));

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	private final String prefix = "budget-" + UUID.randomUUID();

	private final TestClock clock = TestClock.stoppedAt(Instant.parse("2026-12-02T10:00:00Z"));

	@AfterEach
	void stop() {
		instances.forEach(ConfigurableApplicationContext::close);
		backend.close();
	}

	@Test
	void aTenantIsRefusedWithBudgetExceededOnceItsSettledCostLeavesNoRoomForTheNextRequest() {
		List<GatewayClient> gateways = List.of(start(Map.of()), start(Map.of()));

		long spent = 0;
		Answer refused = null;
		for (int i = 0; i < 200 && refused == null; i++) {
			GatewayClient gateway = gateways.get(i % 2);
			if (i % 4 >= 2) {
				List<String> events = GatewayClient.events(gateway.stream("/v1/chat/completions", KEY, question("gpt-4o", true))
					.collectList()
					.block(Duration.ofSeconds(20)));
				if (events.isEmpty()) {
					refused = gateway.post("/v1/chat/completions", KEY, question("gpt-4o", false));
				}
				else {
					spent += cost(usageOf(events));
				}
				continue;
			}
			Answer answer = gateway.post("/v1/chat/completions", KEY, question("gpt-4o", false));
			if (answer.status() == 200) {
				spent += cost(json.readTree(answer.body()).path("usage"));
			}
			else {
				refused = answer;
			}
		}

		assertThat(refused).as("the budget was reached").isNotNull();
		assertThat(refused.status()).isEqualTo(429);
		JsonNode error = json.readTree(refused.body()).path("error");
		assertThat(error.path("code").asString()).isEqualTo("budget_exceeded");
		assertThat(error.path("message").asString()).contains("daily spend budget of tenant 'acme' (1)")
			.contains("renews at 2026-12-03T00:00:00Z");
		assertThat(refused.headers().get("Retry-After")).as("until midnight UTC").isEqualTo("50400");
		// The last admitted request's estimate fitted (at most 71,000: 11 prompt tokens and max_tokens 30); what
		// was settled is the real cost, within the budget, and the next estimate did not fit.
		assertThat(spent).isLessThanOrEqualTo(1_000_000).isGreaterThan(1_000_000 - 2 * 71_000);
		long settled = spent;
		// The last settlements may still be on their way (the end waits for them only near the limit, at most 50 ms).
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			JsonNode daily = daily(gateways.get(1));
			assertThat(daily.path("spent").decimalValue().movePointRight(6).longValue()).isEqualTo(settled);
			assertThat(daily.path("remaining").decimalValue().movePointRight(6).longValue()).isEqualTo(1_000_000 - settled);
		});
		double counted = instances.stream()
			.mapToDouble(instance -> instance.getBean(MeterRegistry.class)
				.find("spillway.budget.spent")
				.tag("tenant", "acme")
				.tag("budget", "daily")
				.counters()
				.stream()
				.mapToDouble(counter -> counter.count())
				.sum())
			.sum();
		assertThat(counted).isCloseTo(spent / 1e6, org.assertj.core.data.Offset.offset(1e-9));
	}

	@Test
	void aMonthlyBudgetRenewsAtTheBoundaryOfTheMonth() {
		clock.stopAt(Instant.parse("2026-12-31T23:00:00Z"));
		Map<String, Object> monthly = Map.of("spillway.limits.tiers.metered.daily-budget", "100",
				"spillway.limits.tiers.metered.monthly-budget", "0.60");
		List<GatewayClient> gateways = List.of(start(monthly), start(monthly));

		Answer refused = spendUntilRefused(gateways);
		JsonNode error = json.readTree(refused.body()).path("error");
		assertThat(error.path("code").asString()).isEqualTo("budget_exceeded");
		assertThat(error.path("message").asString()).contains("monthly spend budget")
			.contains("renews at 2027-01-01T00:00:00Z");
		assertThat(refused.headers().get("Retry-After")).isEqualTo("3600");

		clock.advance(Duration.ofMinutes(59));
		assertThat(gateways.get(0).post("/v1/chat/completions", KEY, question("gpt-4o", false)).status())
			.as("still December").isEqualTo(429);
		clock.advance(Duration.ofMinutes(1));
		assertThat(gateways.get(1).post("/v1/chat/completions", KEY, question("gpt-4o", false)).status())
			.as("January: a new budget").isEqualTo(200);
	}

	@Test
	void aModelWithoutAPriceIsRefusedOrChargedTheConfiguredDefaultNeverServedFree() {
		GatewayClient refusing = start(Map.of());

		Answer refused = refusing.post("/v1/chat/completions", KEY, question("house-model", false));
		assertThat(refused.status()).isEqualTo(403);
		assertThat(json.readTree(refused.body()).path("error").path("code").asString()).isEqualTo("model_not_priced");
		assertThat(backend.requestCount("house-model")).as("not sent").isZero();

		GatewayClient charging = start(Map.of("spillway.limits.budgets.unpriced-models", "charge-default",
				"spillway.limits.budgets.default-input-per-million", 3000,
				"spillway.limits.budgets.default-output-per-million", 5000));
		Answer answer = charging.post("/v1/chat/completions", KEY, question("house-model", false));
		assertThat(answer.status()).isEqualTo(200);
		JsonNode usage = json.readTree(answer.body()).path("usage");
		long expected = usage.path("prompt_tokens").asLong() * 3000 + usage.path("completion_tokens").asLong() * 5000;
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(daily(charging).path("spent").decimalValue().movePointRight(6).longValue())
				.isEqualTo(expected));
	}

	private static JsonNode daily(GatewayClient gateway) {
		return json.readTree(gateway.get("/actuator/spillway/acme").body()).path("budgets").path("daily");
	}

	private Answer spendUntilRefused(List<GatewayClient> gateways) {
		for (int i = 0; i < 200; i++) {
			Answer answer = gateways.get(i % 2).post("/v1/chat/completions", KEY, question("gpt-4o", false));
			if (answer.status() != 200) {
				assertThat(answer.status()).isEqualTo(429);
				return answer;
			}
		}
		throw new AssertionError("never refused");
	}

	private static String question(String model, boolean stream) {
		return "{\"model\":\"" + model + "\",\"max_tokens\":30,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]"
				+ (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}" : "}");
	}

	private static long cost(JsonNode usage) {
		return usage.path("prompt_tokens").asLong() * 1000 + usage.path("completion_tokens").asLong() * 2000;
	}

	private static JsonNode usageOf(List<String> events) {
		for (String event : events) {
			if (event.startsWith("{") && json.readTree(event).has("usage")
					&& json.readTree(event).path("usage").has("total_tokens")) {
				return json.readTree(event).path("usage");
			}
		}
		throw new AssertionError("no usage in " + events);
	}

	private GatewayClient start(Map<String, Object> extra) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", prefix);
		properties.put("spillway.limits.tiers.metered.daily-budget", "1.00");
		properties.put("spillway.limits.tiers.metered.monthly-budget", "1000");
		properties.put("spillway.tenants.acme.keys", "sk-acme");
		properties.put("spillway.tenants.acme.tier", "metered");
		properties.put("spillway.pricing.gpt-4o.input-per-million", 1000);
		properties.put("spillway.pricing.gpt-4o.output-per-million", 2000);
		properties.put("spillway.limits.settle-timeout", "5s");
		properties.put("spillway.pools.gpt.models", "gpt-4o,house-model");
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl() + "/v1");
		properties.put("management.endpoints.web.exposure.include", "*");
		properties.put("logging.level.dev.spillway", "warn");
		properties.putAll(extra);
		ConfigurableApplicationContext gateway = TestGateways.start(properties, clock);
		instances.add(gateway);
		return TestGateways.client(gateway);
	}

}
