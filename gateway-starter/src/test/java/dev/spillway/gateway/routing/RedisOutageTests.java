package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.Map;

import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
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

/** Redis going away takes no traffic down; when it is back, the shared state resumes. */
// Its Redis is stopped after the class: close the context with it rather than keep it cached.
@DirtiesContext
@GatewayTest(pool = { "a", "b" }, properties = { "spillway.shared-state.command-timeout=300ms",
		"spillway.shared-state.resync-interval=200ms", "spillway.shared-state.key-prefix=outage",
		"spring.data.redis.timeout=500ms", "management.endpoints.web.exposure.include=health,spillway",
		"management.endpoint.health.show-details=always" })
class RedisOutageTests {

	static final TestRedis redis = TestRedis.dedicated();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a"),
			MockDeployment.unlimited("b"));

	static final Map<String, String> NO_WAIT = Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0");

	static final String CHAT = """
			{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}""";

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
	void requestsAreServedWhileRedisIsDownAndSharingResumesWhenItIsBack() {
		await().atMost(Duration.ofSeconds(5)).until(throttles::connected);
		assertThat(post().status()).isEqualTo(200);

		redis.stop();
		for (int i = 0; i < 5; i++) {
			Answer answer = post();
			assertThat(answer.status()).isEqualTo(200);
			assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("a");
		}
		backend.throttle("a", Duration.ofSeconds(20));
		Answer failedOver = post();
		assertThat(failedOver.status()).isEqualTo(200);
		assertThat(failedOver.headers().get("x-spillway-backend")).as("local throttle state still routes").isEqualTo("b");
		assertThat(post().headers().get("x-spillway-backend")).isEqualTo("b");
		assertThat(backend.requestCount("a")).isEqualTo(7);
		await().atMost(Duration.ofSeconds(5)).until(() -> !throttles.connected());
		String health = client().get("/actuator/health").body();
		assertThat(health).contains("\"sharedState\":\"DISCONNECTED (serving with local state)\"");
		assertThat(health).containsPattern("\"redis\":\\{\"details\":\\{[^}]*\\},\"status\":\"DOWN\"");

		redis.start();

		await().atMost(Duration.ofSeconds(10)).until(throttles::connected);
		try (StatefulRedisConnection<String, String> connection = TestRedis.connect(redis.url())) {
			await().atMost(Duration.ofSeconds(5))
				.until(() -> connection.sync().get("outage:throttle:gpt:a") != null);
			assertThat(connection.sync().pttl("outage:throttle:gpt:a")).isGreaterThan(10_000);
		}
		assertThat(client().get("/actuator/health").body()).contains("\"sharedState\":\"CONNECTED\"");
	}

	private Answer post() {
		return client().post("/v1/chat/completions", NO_WAIT, CHAT);
	}

	private GatewayClient client() {
		return new GatewayClient(port);
	}

}
