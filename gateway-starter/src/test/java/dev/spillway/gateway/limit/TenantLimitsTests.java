package dev.spillway.gateway.limit;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestClock;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;
import dev.spillway.mock.RecordedRequest;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * Tier "standard": 6,000 tokens and 1,000 requests per minute; tier "daily": 1,000 tokens per day. Each test uses a
 * tenant of its own, so their buckets do not meet.
 */
@GatewayTest(pool = "gpt-4o", properties = { "spillway.limits.tiers.standard.tokens-per-minute=6000",
		"spillway.limits.tiers.standard.requests-per-minute=1000", "spillway.limits.tiers.daily.tokens-per-day=1000",
		"spillway.limits.tiers.daily.tokens-per-minute=100000", "spillway.tenants.headers.keys=sk-headers",
		"spillway.tenants.headers.tier=standard", "spillway.tenants.stream.keys=sk-stream",
		"spillway.tenants.stream.tier=standard", "spillway.tenants.usage.keys=sk-usage",
		"spillway.tenants.usage.tier=standard", "spillway.tenants.cut.keys=sk-cut",
		"spillway.tenants.cut.tier=standard", "spillway.tenants.limited.keys=sk-limited",
		"spillway.tenants.limited.tier=standard", "spillway.tenants.quota.keys=sk-quota",
		"spillway.tenants.quota.tier=daily", "spillway.tenants.metered.keys=sk-metered",
		"spillway.pricing.gpt-4o.input-per-million=2.5", "spillway.pricing.gpt-4o.output-per-million=10",
		"spillway.pools.gpt.models=gpt-4o", "management.endpoints.web.exposure.include=spillway" })
class TenantLimitsTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withCompletionTokens(12)
		.withTokensPerMinute(1_000_000));

	@LocalServerPort
	int port;

	@Autowired
	LimitPlans plans;

	@Autowired
	TenantLimiter limiter;

	@Autowired
	io.micrometer.core.instrument.MeterRegistry meters;

	@BeforeEach
	void clear() {
		backend.clearRecords();
	}

	@Test
	void everyResponseCarriesTheTenantsLimitsNotTheBackends() {
		Answer answer = client().post("/v1/chat/completions", key("sk-headers"), chat(false, 100));

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-ratelimit-limit-tokens")).isEqualTo("6000");
		assertThat(answer.headers().get("x-ratelimit-limit-requests")).isEqualTo("1000");
		assertThat(answer.headers().get("x-ratelimit-remaining-requests")).isEqualTo("999");
		long remaining = Long.parseLong(answer.headers().get("x-ratelimit-remaining-tokens"));
		assertThat(remaining).isBetween(6000L - 130, 6000L - 100);
		assertThat(answer.headers().get("x-ratelimit-reset-tokens")).matches("\\d+(\\.\\d+)?m?s|\\d+m\\d+(\\.\\d+)?s");
		assertThat(answer.headers().getAll("x-ratelimit-limit-tokens")).as("the backend's own header is gone")
			.hasSize(1);
	}

	@Test
	void afterAStreamTheBalanceIsTheLimitMinusWhatWasReallyUsed() {
		long started = System.nanoTime();
		List<GatewayClient.Chunk> chunks = client().stream("/v1/chat/completions", key("sk-stream"), chat(true, null))
			.collectList()
			.block(Duration.ofSeconds(10));

		String streamed = String.join("", chunks.stream().map(GatewayClient.Chunk::text).toList());
		assertThat(streamed).as("the client did not ask for usage").doesNotContain("\"usage\":{");
		RecordedRequest sent = backend.requests().get(0);
		assertThat(json.readTree(sent.body()).path("stream_options").path("include_usage").asBoolean()).isTrue();
		long used = mockPromptTokens(sent) + 12;
		LimitPlan plan = plans.plan("stream", "gpt-4o");
		await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
			long refilled = 100 * (System.nanoTime() - started) / 1_000_000_000L + 1;
			long balance = limiter.availableTokens(plan).block();
			assertThat(balance).isBetween(6000 - used, 6000 - used + refilled);
		});
	}

	@Test
	void aClientThatAskedForUsageSeesItExactlyOnce() {
		String body = "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
				+ "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

		List<String> events = GatewayClient.events(client().stream("/v1/chat/completions", key("sk-usage"), body)
			.collectList()
			.block(Duration.ofSeconds(10)));

		assertThat(events.stream().filter(e -> e.contains("\"usage\":{"))).hasSize(1);
		assertThat(events).last().isEqualTo("[DONE]");
	}

	@Test
	void aCutStreamIsChargedTheTokenizersCountNotZeroAndNotTheReservation() {
		long started = System.nanoTime();
		Map<String, String> headers = Map.of("Authorization", "Bearer sk-cut", MockOpenAiServer.FAULT_HEADER,
				"reset-after=4;event-delay-ms=20");

		List<String> events = GatewayClient.events(client().stream("/v1/chat/completions", headers, chat(true, null))
			.collectList()
			.block(Duration.ofSeconds(10)));

		assertThat(events).last().asString().contains("upstream_stream_error");
		LimitPlan plan = plans.plan("cut", "gpt-4o");
		long promptEstimate = 3 + 3 + 1 + 1 + 3; // overhead, role "user", content "Hello"
		await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
			long refilled = 100 * (System.nanoTime() - started) / 1_000_000_000L + 1;
			long charged = 6000 - limiter.availableTokens(plan).block();
			assertThat(charged + refilled).as("charged more than the prompt").isGreaterThan(promptEstimate);
			assertThat(charged).as("the unused reservation was refunded").isLessThan(promptEstimate + 10);
		});
		assertThat(meters.counter("spillway.requests", "tenant", "cut", "model", "gpt-4o", "outcome", "upstream_failed")
			.count()).isEqualTo(1);
	}

	@Test
	void overTheLimitIs429WithRetryAfterAndTheNextRequestAfterTheRefillSucceeds() throws Exception {
		Answer big = client().post("/v1/chat/completions", key("sk-limited"), chat(false, 5800));
		assertThat(big.status()).isEqualTo(200);

		Answer refused = client().post("/v1/chat/completions", key("sk-limited"), chat(false, 300));

		assertThat(refused.status()).isEqualTo(429);
		assertThat(refused.body()).contains("\"code\":\"rate_limit_exceeded\"")
			.contains("tokens per minute: limit 6000");
		long retryAfterMs = Long.parseLong(refused.headers().get("retry-after-ms"));
		assertThat(retryAfterMs).isBetween(500L, 4000L);
		assertThat(Long.parseLong(refused.headers().get("Retry-After"))).isEqualTo((retryAfterMs + 999) / 1000);
		assertThat(refused.headers().get("x-ratelimit-limit-tokens")).isEqualTo("6000");
		assertThat(backend.requests()).hasSize(1);

		// The first answer's settlement is asynchronous (issue 22): when it lands after the refusal, it can charge a
		// few tokens more than the advised wait accounts for. So: after the advised wait, the request is admitted within
		// the next two seconds of refill.
		Thread.sleep(retryAfterMs);
		await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(100)).until(
				() -> client().post("/v1/chat/completions", key("sk-limited"), chat(false, 300)).status() == 200);
	}

	@Test
	void overTheDailyQuotaIsADistinctErrorThatRetriesAtMidnight() {
		// The gateway's clock says 23:00 UTC: the quota renews in exactly one hour, whatever time the test runs.
		clock.stopAt(Instant.parse("2026-03-01T23:00:00Z"));
		try {
			assertThat(client().post("/v1/chat/completions", key("sk-quota"), chat(false, 900)).status()).isEqualTo(200);

			Answer refused = client().post("/v1/chat/completions", key("sk-quota"), chat(false, 900));

			assertThat(refused.status()).isEqualTo(429);
			assertThat(refused.body()).contains("\"code\":\"daily_quota_exceeded\"").contains("renews at 00:00 UTC");
			assertThat(refused.headers().get("Retry-After")).isEqualTo("3600");
		}
		finally {
			clock.resume();
		}
	}

	@TestConfiguration
	static class StoppableClock {

		@Bean
		TestClock spillwayClock() {
			return TestClock.ticking();
		}

	}

	@Autowired
	TestClock clock;

	@Test
	void theActuatorShowsATenantsLimitsAndUsage() {
		client().post("/v1/chat/completions", key("sk-headers"), chat(false, 10));

		String view = client().get("/actuator/spillway/headers").body();

		assertThat(view).contains("\"tier\":\"standard\"").contains("\"tokensPerMinute\":6000")
			.containsPattern("\"remaining\":\\{\"tokens\":\\d+,\"requests\":\\d+\\}")
			.contains("\"promptTokens\":");
		assertThat(client().get("/actuator/spillway/nobody").status()).isEqualTo(404);
	}

	@Test
	void usageAndCostAreCountedPerTenantAndModel() {
		client().stream("/v1/chat/completions", key("sk-metered"), chat(true, null)).blockLast(Duration.ofSeconds(10));
		long prompt = mockPromptTokens(backend.requests().get(0));

		await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
			assertThat(meters.counter("spillway.tokens", "tenant", "metered", "model", "gpt-4o", "type", "prompt").count())
				.isEqualTo(prompt);
			assertThat(meters.counter("spillway.tokens", "tenant", "metered", "model", "gpt-4o", "type", "completion")
				.count()).isEqualTo(12);
		});
		assertThat(meters.counter("spillway.cost", "tenant", "metered", "model", "gpt-4o").count())
			.isCloseTo((prompt * 2.5 + 12 * 10) / 1_000_000, within(1e-12));
		assertThat(meters.counter("spillway.requests", "tenant", "metered", "model", "gpt-4o", "outcome", "success")
			.count()).isEqualTo(1);
		assertThat(meters.timer("spillway.time.to.first.token", "pool", "gpt", "model", "gpt-4o").count()).isPositive();
	}

	/** The simulated backend's own prompt count: a quarter of the request's JSON length. */
	static long mockPromptTokens(RecordedRequest request) {
		return Math.max(1, json.readTree(request.body()).toString().length() / 4);
	}

	static String chat(boolean stream, Integer maxTokens) {
		return "{\"model\":\"gpt-4o\",\"stream\":" + stream + (maxTokens == null ? "" : ",\"max_tokens\":" + maxTokens)
				+ ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
	}

	static Map<String, String> key(String key) {
		return Map.of("Authorization", "Bearer " + key);
	}

	private GatewayClient client() {
		return new GatewayClient(port);
	}

}
