package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.Map;

import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Choosing a backend reads memory: while nothing is throttled, requests cost Redis nothing at all. */
// Its Redis is stopped after the class: close the context with it rather than keep it cached.
@DirtiesContext
// Job workers poll Redis in the background, whatever the traffic; this test counts the request path alone.
@GatewayTest(pool = { "a", "b" }, properties = "spillway.jobs.enabled=false")
class HotPathRedisCommandsTests {

	static final TestRedis redis = TestRedis.dedicated();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a"),
			MockDeployment.unlimited("b"));

	@LocalServerPort
	int port;

	@Autowired
	SharedThrottles throttles;

	@DynamicPropertySource
	static void pool(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.url", redis::url);
	}

	@AfterAll
	static void stop() {
		backend.close();
		redis.stop();
	}

	@Test
	void requestsMakeNoRedisCommandsWhileNothingIsThrottled() {
		await().atMost(Duration.ofSeconds(5)).until(throttles::connected);
		GatewayClient client = new GatewayClient(port);
		client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"),
				"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"warm up\"}]}");
		try (StatefulRedisConnection<String, String> connection = TestRedis.connect(redis.url())) {
			long before = commandsOtherThanInfo(connection.sync().info("commandstats"));

			for (int i = 0; i < 50; i++) {
				assertThat(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"),
						"{\"model\":\"gpt-4o\",\"stream\":" + (i % 2 == 0)
								+ ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
					.status()).isEqualTo(200);
			}

			long after = commandsOtherThanInfo(connection.sync().info("commandstats"));
			assertThat(after - before).isZero();
		}
		assertThat(backend.requestCount("a")).isEqualTo(51);
	}

	/** Sums {@code calls=} over every {@code cmdstat_*} line except INFO, which this test itself sends. */
	static long commandsOtherThanInfo(String commandStats) {
		Map<String, Long> calls = TestRedis.commandCalls(commandStats);
		calls.remove("info");
		return calls.values().stream().mapToLong(Long::longValue).sum();
	}

}
