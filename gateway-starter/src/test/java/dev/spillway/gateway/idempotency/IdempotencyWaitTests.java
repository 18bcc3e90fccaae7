package dev.spillway.gateway.idempotency;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.core.Hashes;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How duplicates wait for an in-flight twin, on a Redis of their own so its command counts are this gateway's alone:
 * woken by the announcement, not by polling (the re-check is set to an hour here, so only the announcement can wake
 * them in time), capped per key, and never settled by a request whose claim had expired and been taken over.
 */
@GatewayTest(pool = "gpt-4o", properties = { "spillway.jobs.enabled=false",
		"spillway.idempotency.recheck-interval=1h", "spillway.idempotency.wait-timeout=20s",
		"spillway.idempotency.max-waiters-per-key=1", "spillway.idempotency.in-flight-ttl=3s" })
class IdempotencyWaitTests {

	static final TestRedis redis = TestRedis.dedicated();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

	static final JsonMapper json = JsonMapper.builder().build();

	@LocalServerPort
	int port;

	@Value("${spillway.shared-state.key-prefix}")
	String prefix;

	StatefulRedisConnection<String, String> connection;

	@DynamicPropertySource
	static void pool(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.url", redis::url);
		registry.add("spillway.shared-state.key-prefix", () -> "wait");
	}

	@AfterAll
	static void stop() {
		backend.close();
		redis.stop();
	}

	@BeforeEach
	void connect() {
		backend.reset();
		connection = TestRedis.connect(redis.url());
	}

	@AfterEach
	void close() {
		connection.close();
	}

	@Test
	void aWaitingDuplicateIsWokenByTheAnnouncementWithoutPollingRedis() {
		String key = UUID.randomUUID().toString();
		CompletableFuture<Answer> first = CompletableFuture
			.supplyAsync(() -> post(key, "header-delay-ms=2000"));
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> connection.sync().exists(redisKey(key)) == 1);
		long getsBefore = gets();

		Answer duplicate = post(key, null);

		assertThat(duplicate.status()).isEqualTo(200);
		assertThat(duplicate.headers().get("Idempotent-Replayed")).isEqualTo("true");
		assertThat(duplicate.body()).isEqualTo(first.join().body());
		assertThat(backend.requests()).hasSize(1);
		// Claim's read, first look, look after the announcement, and the completing script's own read: polling every
		// 100 ms for two seconds would be twenty.
		assertThat(gets() - getsBefore).isLessThanOrEqualTo(6);
	}

	@Test
	void aDuplicateBeyondTheCapIsRefusedAtOnceWhileTheFirstIsStillInFlight() {
		String key = UUID.randomUUID().toString();
		CompletableFuture<Answer> first = CompletableFuture
			.supplyAsync(() -> post(key, "header-delay-ms=2500"));
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> connection.sync().exists(redisKey(key)) == 1);
		long getsBefore = gets();
		CompletableFuture<Answer> waiting = CompletableFuture.supplyAsync(() -> post(key, null));
		// The waiter has read the record twice (claim, first look): it is registered.
		await().atMost(Duration.ofSeconds(10)).until(() -> gets() - getsBefore >= 2);

		Answer refused = post(key, null);

		assertThat(first.isDone()).as("refused while the first is still in flight").isFalse();
		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.body()).contains("\"code\":\"idempotency_key_in_use\"");
		assertThat(waiting.join().status()).isEqualTo(200);
		assertThat(first.join().status()).isEqualTo(200);
		assertThat(backend.requests()).hasSize(1);
	}

	@Test
	void aRequestThatOutlivedItsClaimDoesNotOverwriteTheRequestThatTookTheKeyOver() {
		String key = UUID.randomUUID().toString();
		CompletableFuture<Answer> outlived = CompletableFuture
			.supplyAsync(() -> post(key, "header-delay-ms=4500"));
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> connection.sync().exists(redisKey(key)) == 1);
		// in-flight-ttl is 3 s: the claim expires while the request is still waiting for its backend.
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> connection.sync().exists(redisKey(key)) == 0);
		CompletableFuture<Answer> takeover = CompletableFuture
			.supplyAsync(() -> post(key, "header-delay-ms=2500"));

		// The first answer kept for the key must be the takeover's: the outlived request finishes first, and must not
		// write over a claim that is no longer its own.
		await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
			String record = connection.sync().get(redisKey(key));
			return record != null && record.contains("\"state\":\"done\"");
		});
		JsonNode kept = json.readTree(connection.sync().get(redisKey(key)));

		assertThat(outlived.join().status()).isEqualTo(200);
		assertThat(takeover.join().status()).isEqualTo(200);
		assertThat(kept.path("json").asString()).isEqualTo(takeover.join().body())
			.isNotEqualTo(outlived.join().body());
	}

	private String redisKey(String key) {
		return prefix + ":idem:{acme}:" + Hashes.sha256Hex(key);
	}

	private long gets() {
		return TestRedis.commandCalls(connection.sync().info("commandstats")).getOrDefault("get", 0L);
	}

	private Answer post(String key, String fault) {
		Map<String, String> headers = fault == null ? Map.of("Authorization", "Bearer sk-acme", "Idempotency-Key", key)
				: Map.of("Authorization", "Bearer sk-acme", "Idempotency-Key", key, MockOpenAiServer.FAULT_HEADER, fault);
		return new GatewayClient(port).post("/v1/chat/completions", headers, CHAT);
	}

}
