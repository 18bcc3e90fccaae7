package dev.spillway.gateway.limit;

import java.util.Map;

import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.request.Answer;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bucket4j's compare and swap reads a bucket before writing it; an instance that wrote the bucket last skips that
 * read, so an admission is one round trip (the swap script). Counted from the Redis server's own statistics: every
 * GET must be the one inside a swap script, none a separate read.
 */
@DirtiesContext
@GatewayTest(pool = "gpt-4o", properties = { "spillway.jobs.enabled=false", "spillway.cache.enabled=false",
		"spillway.limits.tiers.standard.tokens-per-minute=1000000",
		"spillway.limits.tiers.standard.requests-per-minute=100000", "spillway.tenants.acme.tier=standard" })
class AdmissionRoundTripsTests {

	static final TestRedis redis = TestRedis.dedicated();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	@LocalServerPort
	int port;

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
	void admissionsOfOneInstanceReadNoBucketBeforeWritingIt() {
		GatewayClient client = new GatewayClient(port);
		String body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		assertThat(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), body).status())
			.isEqualTo(200);
		try (StatefulRedisConnection<String, String> connection = TestRedis.connect(redis.url())) {
			Map<String, Long> before = TestRedis.commandCalls(connection.sync().info("commandstats"));

			for (int i = 0; i < 30; i++) {
				GatewayClient.Answer response = client.post("/v1/chat/completions",
						Map.of("Authorization", "Bearer sk-acme"), body);
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.headers().get("x-ratelimit-remaining-requests")).isNotNull();
			}

			Map<String, Long> after = TestRedis.commandCalls(connection.sync().info("commandstats"));
			long swaps = after.getOrDefault("eval", 0L) + after.getOrDefault("evalsha", 0L)
					- before.getOrDefault("eval", 0L) - before.getOrDefault("evalsha", 0L);
			long reads = after.getOrDefault("get", 0L) - before.getOrDefault("get", 0L);
			assertThat(swaps).as("two buckets admitted per request").isGreaterThanOrEqualTo(60);
			assertThat(reads).as("GETs, each inside a swap script").isLessThanOrEqualTo(swaps);
		}
	}

}
