package dev.spillway.gateway.responses;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestGateways;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Stored responses live on the resource that created them: two simulated Azure resources, {@code a} and {@code b},
 * share pool {@code gpt} with equal weight, and two gateway instances share one Redis. Whatever instance a request
 * goes through, and after both restart, a request that refers to a stored response reaches its resource — never
 * the other one, which would answer 404.
 */
class ResponseAffinityTests {

	static final MockOpenAiServer a = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o").withCompletionTokens(6));

	static final MockOpenAiServer b = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o").withCompletionTokens(6));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	static final Map<String, String> GLOBEX = Map.of("Authorization", "Bearer sk-globex");

	static final JsonMapper json = JsonMapper.builder().build();

	@AfterAll
	static void stop() {
		a.close();
		b.close();
	}

	@Test
	void aFollowUpReachesTheResourceOfItsPreviousResponseThroughAnyInstanceAlsoAfterARestart() {
		String prefix = "affinity-" + UUID.randomUUID();
		Map<String, String> homes = new HashMap<>();
		try (ConfigurableApplicationContext first = start(TestRedis.sharedUrl(), prefix);
				ConfigurableApplicationContext second = start(TestRedis.sharedUrl(), prefix)) {
			// Enough creations that both resources store some (equal weights, random choice).
			for (int i = 0; homes.size() < 12 || !homes.containsValue("a") || !homes.containsValue("b"); i++) {
				assertThat(i).as("creations before both resources stored some").isLessThan(200);
				Answer created = client(first).post("/v1/responses", ACME, """
						{"model":"gpt-4o","input":"Question %d"}""".formatted(i));
				assertThat(created.status()).as(created.body()).isEqualTo(200);
				homes.put(json.readTree(created.body()).path("id").asString(), created.headers().get("x-spillway-backend"));
			}
			followUps(client(second), homes);
		}
		try (ConfigurableApplicationContext restarted = start(TestRedis.sharedUrl(), prefix)) {
			followUps(client(restarted), homes);
		}
		// Resource b taken out of the configuration: its responses are gone for this gateway, said so by id.
		try (ConfigurableApplicationContext withoutB = start(TestRedis.sharedUrl(), prefix, "--spillway.test.only-a=true")) {
			String onB = homes.entrySet().stream().filter(home -> home.getValue().equals("b")).findFirst().orElseThrow()
				.getKey();
			long calls = a.requests().size();
			Answer gone = client(withoutB).post("/v1/responses", ACME, """
					{"model":"gpt-4o","previous_response_id":"%s","input":"Still there?"}""".formatted(onB));

			assertThat(gone.status()).isEqualTo(404);
			assertThat(gone.body()).contains("No response found with id '" + onB + "'");
			assertThat(a.requests()).hasSize((int) calls);
		}
	}

	private static void followUps(GatewayClient client, Map<String, String> homes) {
		homes.forEach((id, home) -> {
			long otherBefore = other(home).requests().size();
			Answer followUp = client.post("/v1/responses", ACME, """
					{"model":"gpt-4o","previous_response_id":"%s","input":"And then?"}""".formatted(id));

			assertThat(followUp.status()).as(followUp.body()).isEqualTo(200);
			assertThat(followUp.headers().get("x-spillway-backend")).isEqualTo(home);
			assertThat(other(home).requests()).hasSize((int) otherBefore);
		});
	}

	@Test
	void aStoredResponseIsRetrievedListedAndDeletedThroughTheOtherInstanceAndIsNoOtherTenants() {
		String prefix = "affinity-" + UUID.randomUUID();
		try (ConfigurableApplicationContext first = start(TestRedis.sharedUrl(), prefix);
				ConfigurableApplicationContext second = start(TestRedis.sharedUrl(), prefix)) {
			List<String> ids = new ArrayList<>();
			for (int i = 0; i < 6; i++) {
				ids.add(json.readTree(client(first).post("/v1/responses", ACME, """
						{"model":"gpt-4o","input":"Keep me %d"}""".formatted(i)).body()).path("id").asString());
			}
			GatewayClient other = client(second);
			for (String id : ids) {
				Answer got = other.get("/v1/responses/" + id, ACME);
				assertThat(got.status()).as(got.body()).isEqualTo(200);
				assertThat(json.readTree(got.body()).path("id").asString()).isEqualTo(id);
				Answer items = other.get("/v1/responses/" + id + "/input_items", ACME);
				assertThat(json.readTree(items.body()).path("data").get(0).path("content").get(0).path("text").asString())
					.startsWith("Keep me");

				Answer foreign = other.get("/v1/responses/" + id, GLOBEX);
				assertThat(foreign.status()).isEqualTo(404);
				assertThat(json.readTree(foreign.body()).path("error").path("code").asString())
					.isEqualTo("response_not_found");
			}
			String doomed = ids.get(0);
			Answer deleted = other.delete("/v1/responses/" + doomed, ACME);
			assertThat(deleted.status()).isEqualTo(200);
			assertThat(json.readTree(deleted.body()).path("deleted").asBoolean()).isTrue();
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
				Answer gone = client(first).get("/v1/responses/" + doomed, ACME);
				assertThat(gone.status()).isEqualTo(404);
				assertThat(gone.body()).contains("No response found with id '" + doomed + "'");
			});
		}
	}

	@Test
	void whenItsResourceIsThrottledTheRequestGets429WithItsWaitAndNeverTheOtherResource() {
		String prefix = "affinity-" + UUID.randomUUID();
		try (ConfigurableApplicationContext gateway = start(TestRedis.sharedUrl(), prefix)) {
			Answer created = client(gateway).post("/v1/responses", ACME, """
					{"model":"gpt-4o","input":"Hold this"}""");
			String id = json.readTree(created.body()).path("id").asString();
			String home = created.headers().get("x-spillway-backend");
			mock(home).throttle("gpt-4o", Duration.ofSeconds(30));
			try {
				long otherBefore = other(home).requests().size();
				Answer refused = client(gateway).post("/v1/responses", ACME, """
						{"model":"gpt-4o","previous_response_id":"%s","input":"More"}""".formatted(id));
				Answer retrieval = client(gateway).get("/v1/responses/" + id, ACME);

				assertThat(refused.status()).isEqualTo(429);
				assertThat(Long.parseLong(refused.headers().get("Retry-After"))).isBetween(1L, 30L);
				assertThat(retrieval.status()).isEqualTo(429);
				assertThat(other(home).requests()).hasSize((int) otherBefore);
			}
			finally {
				mock(home).reset();
			}
		}
	}

	@Test
	void backgroundResponsesArePolledCancelledAndTheirStreamsResumedThroughTheOtherInstance() {
		String prefix = "affinity-" + UUID.randomUUID();
		try (ConfigurableApplicationContext first = start(TestRedis.sharedUrl(), prefix);
				ConfigurableApplicationContext second = start(TestRedis.sharedUrl(), prefix)) {
			String polled = json.readTree(client(first).post("/v1/responses", ACME, """
					{"model":"gpt-4o","background":true,"input":"Take your time"}""").body()).path("id").asString();
			List<String> states = new ArrayList<>();
			await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
				states.add(json.readTree(client(second).get("/v1/responses/" + polled, ACME).body()).path("status")
					.asString());
				return states.get(states.size() - 1).equals("completed");
			});
			assertThat(states).containsSubsequence("queued", "in_progress", "completed");

			JsonNode queued = json.readTree(client(first).post("/v1/responses", ACME, """
					{"model":"gpt-4o","background":true,"input":"Never mind"}""").body());
			Answer cancelled = client(second).post("/v1/responses/" + queued.path("id").asString() + "/cancel", ACME, "");
			assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
			assertThat(json.readTree(cancelled.body()).path("status").asString()).isEqualTo("cancelled");

			String streamed = client(first).post("/v1/responses", ACME, """
					{"model":"gpt-4o","stream":true,"input":"Stream it"}""").body();
			String id = json.readTree(streamed.substring(streamed.indexOf("data: ") + 6, streamed.indexOf("\n\n")))
				.path("response").path("id").asString();
			String resumed = String.join("", client(second).streamGet("/v1/responses/" + id
					+ "?stream=true&starting_after=3", ACME)
				.map(GatewayClient.Chunk::text)
				.collectList()
				.block(Duration.ofSeconds(20)));
			List<Long> sequence = new ArrayList<>();
			for (String event : resumed.split("\n\n")) {
				if (!event.isBlank()) {
					sequence.add(json.readTree(event.substring(event.indexOf("data: ") + 6)).path("sequence_number")
						.asLong());
				}
			}
			assertThat(sequence.get(0)).isEqualTo(4);
			assertThat(resumed).contains("event: response.completed");
		}
	}

	@Test
	void withRedisAwayARequestThatNeedsItsResourceGets503AndBackgroundIsRefusedWhereNoBackendServesIt() {
		TestRedis redis = TestRedis.dedicated();
		try (ConfigurableApplicationContext gateway = start(redis.url(), "affinity-" + UUID.randomUUID(),
				"--spillway.shared-state.command-timeout=300ms")) {
			String id = json.readTree(client(gateway).post("/v1/responses", ACME, """
					{"model":"gpt-4o","input":"Remember me"}""").body()).path("id").asString();
			redis.stop();

			Answer followUp = client(gateway).post("/v1/responses", ACME, """
					{"model":"gpt-4o","previous_response_id":"%s","input":"Well?"}""".formatted(id));
			assertThat(followUp.status()).isEqualTo(503);
			assertThat(followUp.headers().get("Retry-After")).isEqualTo("1");
			assertThat(json.readTree(followUp.body()).path("error").path("code").asString())
				.isEqualTo("affinity_unavailable");
		}
		finally {
			redis.stop();
		}
		try (ConfigurableApplicationContext gateway = start(TestRedis.sharedUrl(), "affinity-" + UUID.randomUUID(),
				"--spillway.test.background=false")) {
			Answer refused = client(gateway).post("/v1/responses", ACME, """
					{"model":"gpt-4o","background":true,"input":"Later"}""");
			assertThat(refused.status()).isEqualTo(400);
			assertThat(json.readTree(refused.body()).path("error").path("code").asString())
				.isEqualTo("background_not_supported");
		}
	}

	private static MockOpenAiServer mock(String backend) {
		return backend.equals("a") ? a : b;
	}

	private static MockOpenAiServer other(String backend) {
		return backend.equals("a") ? b : a;
	}

	private static ConfigurableApplicationContext start(String redisUrl, String prefix, String... extra) {
		List<String> args = new ArrayList<>(List.of("--server.port=0", "--spring.data.redis.url=" + redisUrl,
				"--spillway.shared-state.key-prefix=" + prefix, "--spillway.pools.gpt.models=gpt-4o"));
		MockOpenAiServer[] resources = List.of(extra).contains("--spillway.test.only-a=true")
				? new MockOpenAiServer[] { a } : new MockOpenAiServer[] { a, b };
		for (int i = 0; i < resources.length; i++) {
			String backend = "--spillway.pools.gpt.backends[" + i + "].";
			args.addAll(List.of(backend + "id=" + (i == 0 ? "a" : "b"), backend + "type=azure",
					backend + "deployment=gpt-4o", backend + "url=" + resources[i].baseUrl(),
					backend + "background=" + background(extra)));
		}
		args.addAll(List.of(extra));
		return new SpringApplicationBuilder(TestGatewayApplication.class).run(args.toArray(String[]::new));
	}

	/** Whether the backends serve background mode: yes, unless {@code --spillway.test.background=false} is given. */
	private static boolean background(String... extra) {
		return !List.of(extra).contains("--spillway.test.background=false");
	}

	private static GatewayClient client(ConfigurableApplicationContext gateway) {
		return TestGateways.client(gateway);
	}

}
