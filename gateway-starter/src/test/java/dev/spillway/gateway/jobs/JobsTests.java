package dev.spillway.gateway.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
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
import static org.awaitility.Awaitility.await;

/** Async jobs through real HTTP, a real Redis and one or two gateway instances. */
class JobsTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Summarise it\"}]}";

	private final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	private final String prefix = "jobs-" + UUID.randomUUID();

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	@AfterEach
	void stop() {
		instances.forEach(ConfigurableApplicationContext::close);
		backend.close();
	}

	@Test
	void aJobIsAcceptedAtOnceAndItsResultCanBeReadOnlyByItsTenant() {
		GatewayClient gateway = client(start(2));

		Answer accepted = submit(gateway, "sk-acme");

		assertThat(accepted.status()).isEqualTo(202);
		String id = json.readTree(accepted.body()).path("id").asString();
		assertThat(accepted.headers().get("Location")).isEqualTo("/spillway/jobs/" + id);
		JsonNode done = awaitStatus(gateway, "sk-acme", id, "succeeded");
		assertThat(done.path("result").path("status").asInt()).isEqualTo(200);
		assertThat(done.path("result").path("body").path("object").asString()).isEqualTo("chat.completion");
		assertThat(get(gateway, "sk-globex", id).status()).as("another tenant").isEqualTo(404);
		assertThat(get(gateway, "sk-nobody", id).status()).isEqualTo(401);
	}

	@Test
	void fiftyJobsAgainstAThrottlingBackendAllSucceedWithoutHammeringIt() {
		GatewayClient gateway = client(start(2));
		backend.throttle("gpt-4o", Duration.ofSeconds(2));

		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 50; i++) {
			Answer accepted = submit(gateway, "sk-acme");
			assertThat(accepted.status()).isEqualTo(202);
			ids.add(json.readTree(accepted.body()).path("id").asString());
		}

		for (String id : ids) {
			awaitStatus(gateway, "sk-acme", id, "succeeded");
		}
		// Every job reached the backend once when it could serve; while it throttled, at most one call per worker
		// met its 429 before the gateway knew, then the gateway held them back.
		assertThat(backend.requestCount("gpt-4o")).isBetween(50L, 52L);
	}

	@Test
	void aJobHeldByAnInstanceThatStopsIsFinishedByAnother() {
		backend.faults("gpt-4o", "header-delay-ms=4000");
		ConfigurableApplicationContext first = start(1);
		Answer accepted = submit(client(first), "sk-acme");
		String id = json.readTree(accepted.body()).path("id").asString();
		awaitStatus(client(first), "sk-acme", id, "running");

		first.close();
		backend.faults("gpt-4o", null);
		GatewayClient second = client(start(1));

		JsonNode done = awaitStatus(second, "sk-acme", id, "succeeded");
		assertThat(done.path("result").path("status").asInt()).isEqualTo(200);
	}

	private JsonNode awaitStatus(GatewayClient gateway, String key, String id, String status) {
		JsonNode[] last = new JsonNode[1];
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
			last[0] = json.readTree(get(gateway, key, id).body());
			return status.equals(last[0].path("status").asString());
		});
		return last[0];
	}

	private static Answer submit(GatewayClient gateway, String key) {
		return gateway.post("/v1/chat/completions", Map.of("Authorization", "Bearer " + key, "Prefer", "respond-async"),
				CHAT);
	}

	private static Answer get(GatewayClient gateway, String key, String id) {
		return gateway.get("/spillway/jobs/" + id, Map.of("Authorization", "Bearer " + key));
	}

	private ConfigurableApplicationContext start(int workers) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", prefix);
		properties.put("spillway.jobs.workers", workers);
		properties.put("spillway.jobs.reclaim-after", "1s");
		properties.put("spillway.jobs.poll-interval", "50ms");
		// A job taken over from a stopped instance is sent again with the same Idempotency-Key, which waits until the
		// stopped instance's in-flight claim has expired.
		properties.put("spillway.idempotency.in-flight-ttl", "2s");
		properties.put("spillway.pools.gpt.max-wait", "0s");
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].type", "azure");
		properties.put("spillway.pools.gpt.backends[0].deployment", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl());
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
