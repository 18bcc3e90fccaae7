package dev.spillway.gateway.limit;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Chunk;
import dev.spillway.gateway.TestClock;
import dev.spillway.gateway.TestGateways;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;
import dev.spillway.mock.StreamGate;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The tenant's bucket is settled before the end of the answer reaches the client — and the end never waits longer
 * than {@code spillway.limits.settle-timeout} for it. The clock is stopped: nothing refills, so the bucket shows
 * exactly what was charged.
 */
class SettleBeforeEndTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final Map<String, String> KEY = Map.of("Authorization", "Bearer sk-acme");

	static final String QUESTION = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

	private final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withCompletionTokens(20)
		.withInterTokenDelay(Duration.ZERO));

	private final TestRedis redis = TestRedis.dedicated();

	private final TestClock clock = TestClock.stoppedAt(Instant.parse("2026-12-02T10:00:00Z"));

	private ConfigurableApplicationContext gateway;

	@AfterEach
	void stop() {
		if (gateway != null) {
			gateway.close();
		}
		backend.close();
		redis.stop();
	}

	@Test
	void theRefundIsInTheBucketWhenTheClientHasTheEnd() {
		// The default 50 ms would do; a loaded CI machine must not turn a slow Redis reply into a failed test. Every
		// request reserves 150 of the 300 tokens a minute, so each leaves the tenant near its limit (less than half of
		// the minute left), where the end waits for the settlement.
		GatewayClient client = start(Map.of("spillway.limits.settle-timeout", "5s",
				"spillway.limits.tiers.small.tokens-per-minute", 300, "spillway.limits.default-completion-reservation", 150,
				"spillway.limits.reservation.learn", false));

		GatewayClient.Answer answer = client.post("/v1/chat/completions", KEY, QUESTION + "}");
		long usedByJson = json.readTree(answer.body()).path("usage").path("total_tokens").asLong();
		assertThat(available()).as("charged the JSON answer's usage, its reservation refunded")
			.isEqualTo(300 - usedByJson);

		List<Chunk> chunks = client.stream("/v1/chat/completions", KEY,
				QUESTION + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}")
			.collectList()
			.block(Duration.ofSeconds(20));
		long usedByStream = usage(GatewayClient.events(chunks));
		assertThat(available()).as("and the stream's").isEqualTo(300 - usedByJson - usedByStream);
	}

	@Test
	void theEndWaitsForTheSettlementNoLongerThanTheSettleTimeout() {
		// Redis goes away mid-stream: the settlement's command waits for the 3 s command timeout, the end 50 ms.
		GatewayClient client = start(Map.of("spillway.shared-state.command-timeout", "3s"));
		AtomicInteger order = new AtomicInteger();
		List<String> happened = new CopyOnWriteArrayList<>();
		Logger limiterLog = (Logger) LoggerFactory.getLogger(TenantLimiter.class);
		AppenderBase<ILoggingEvent> settlementFailures = new AppenderBase<>() {

			@Override
			protected void append(ILoggingEvent event) {
				if (event.getFormattedMessage().startsWith("Could not settle")) {
					happened.add(order.incrementAndGet() + " settlement failed");
				}
			}

		};
		settlementFailures.start();
		limiterLog.setLevel(Level.DEBUG);
		limiterLog.addAppender(settlementFailures);
		try {
			StreamGate gate = backend.gateNextStream("gpt-4o");
			List<String> events = new CopyOnWriteArrayList<>();
			StringBuilder pending = new StringBuilder();
			gate.release();
			List<Chunk> chunks = client.stream("/v1/chat/completions", KEY, QUESTION + ",\"stream\":true}")
				.doOnNext(chunk -> {
					pending.append(chunk.text());
					if (events.isEmpty() && pending.indexOf("\n\n") >= 0) {
						events.add("first");
						redis.stop();
						gate.open();
					}
				})
				.collectList()
				.block(Duration.ofSeconds(20));
			happened.add(order.incrementAndGet() + " client had the end");

			assertThat(String.join("", chunks.stream().map(Chunk::text).toList())).endsWith("data: [DONE]\n\n")
				.doesNotContain("\"error\"");
			await().atMost(Duration.ofSeconds(15)).until(() -> happened.size() == 2);
			assertThat(happened).containsExactly("1 client had the end", "2 settlement failed");
		}
		finally {
			limiterLog.detachAppender(settlementFailures);
			limiterLog.setLevel(null);
		}
	}

	private GatewayClient start(Map<String, Object> extra) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", redis.url());
		properties.put("spillway.limits.tiers.small.tokens-per-minute", 2_000);
		properties.put("spillway.tenants.acme.keys", "sk-acme");
		properties.put("spillway.tenants.acme.tier", "small");
		properties.put("spillway.pools.gpt.models", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl() + "/v1");
		properties.put("logging.level.dev.spillway", "warn");
		properties.putAll(extra);
		gateway = TestGateways.start(properties, clock);
		return TestGateways.client(gateway);
	}

	private long available() {
		return TenantBuckets.availableTokens(gateway, "acme", "gpt-4o");
	}

	private static long usage(List<String> events) {
		for (String event : events) {
			if (event.startsWith("{")) {
				JsonNode usage = json.readTree(event).path("usage");
				if (usage.has("total_tokens")) {
					return usage.path("total_tokens").asLong();
				}
			}
		}
		throw new AssertionError("no usage in " + events);
	}

}
