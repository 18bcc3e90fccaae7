package dev.spillway.gateway.idempotency;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.core.Hashes;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

@GatewayTest(pool = "gpt-4o")
class IdempotencyTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

	@LocalServerPort
	int port;

	@org.springframework.beans.factory.annotation.Value("${spillway.shared-state.key-prefix}")
	String prefix;

	@org.springframework.beans.factory.annotation.Autowired
	IdempotencyWaiters waiters;

	@BeforeEach
	void clear() {
		backend.reset();
	}

	@Test
	void aRepeatGetsTheSameAnswerReplayedAndTheBackendIsCalledOnce() {
		Map<String, String> headers = headers("sk-acme", UUID.randomUUID().toString(), null);
		Answer first = post(headers, CHAT);

		Answer repeat = post(headers, CHAT);

		assertThat(first.status()).isEqualTo(200);
		assertThat(repeat.status()).isEqualTo(200);
		assertThat(repeat.body()).isEqualTo(first.body());
		assertThat(repeat.headers().get("Idempotent-Replayed")).isEqualTo("true");
		assertThat(first.headers().get("Idempotent-Replayed")).isNull();
		assertThat(backend.requests()).hasSize(1);
	}

	@Test
	void concurrentDuplicatesWaitForTheFirstAndTheBackendIsCalledOnce() {
		Map<String, String> headers = headers("sk-acme", UUID.randomUUID().toString(), "header-delay-ms=500");

		CompletableFuture<Answer> one = CompletableFuture.supplyAsync(() -> post(headers, CHAT));
		CompletableFuture<Answer> two = CompletableFuture.supplyAsync(() -> post(headers, CHAT));

		assertThat(one.join().status()).isEqualTo(200);
		assertThat(two.join().status()).isEqualTo(200);
		assertThat(one.join().body()).isEqualTo(two.join().body());
		assertThat(backend.requests()).hasSize(1);
	}

	@Test
	void theSameKeyWithAnotherRequestIs422() {
		Map<String, String> headers = headers("sk-acme", UUID.randomUUID().toString(), null);
		post(headers, CHAT);

		Answer other = post(headers, CHAT.replace("Hi", "Hello"));

		assertThat(other.status()).isEqualTo(422);
		assertThat(other.body()).contains("\"code\":\"idempotency_key_reused\"");
		assertThat(backend.requests()).hasSize(1);
	}

	@Test
	void theSameKeyWithAnotherApiVersionOrRoutingHeaderIs422() {
		Map<String, String> headers = headers("sk-acme", UUID.randomUUID().toString(), null);
		String azure = "/openai/deployments/gpt-4o/chat/completions?api-version=";
		assertThat(new GatewayClient(port).post(azure + "2024-06-01", headers, CHAT).status()).isEqualTo(200);

		Answer otherVersion = new GatewayClient(port).post(azure + "2024-10-21", headers, CHAT);
		Map<String, String> withTask = new java.util.HashMap<>(headers);
		withTask.put("x-spillway-task", "classify");
		Answer otherTask = new GatewayClient(port).post(azure + "2024-06-01", withTask, CHAT);
		Map<String, String> withBudget = new java.util.HashMap<>(headers);
		withBudget.put("x-spillway-max-wait", "0");
		Answer otherBudget = new GatewayClient(port).post(azure + "2024-06-01", withBudget, CHAT);

		assertThat(List.of(otherVersion, otherTask, otherBudget)).allSatisfy(answer -> {
			assertThat(answer.status()).isEqualTo(422);
			assertThat(answer.body()).contains("\"code\":\"idempotency_key_reused\"");
		});
		assertThat(backend.requests()).hasSize(1);
	}

	@Test
	void aWaitingDuplicateStillFindsAnAnswerWhoseAnnouncementWasLost() {
		String key = UUID.randomUUID().toString();
		CompletableFuture<Answer> first = CompletableFuture
			.supplyAsync(() -> post(headers("sk-acme", key, "header-delay-ms=5000"), CHAT));
		String redisKey = prefix + ":idem:{acme}:" + dev.spillway.gateway.core.Hashes.sha256Hex(key);
		try (io.lettuce.core.api.StatefulRedisConnection<String, String> redis = TestRedis.connect(TestRedis.sharedUrl())) {
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> redis.sync().get(redisKey) != null);
			String fingerprint = tools.jackson.databind.json.JsonMapper.builder().build()
				.readTree(redis.sync().get(redisKey)).path("fingerprint").asString();
			CompletableFuture<Answer> duplicate = CompletableFuture
				.supplyAsync(() -> post(headers("sk-acme", key, null), CHAT));
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> waiters.waiting() == 1);
			// An answer appears with no announcement (as if the message were lost): only the re-check can see it.
			String lost = "{\"id\":\"chatcmpl-lost\",\"object\":\"chat.completion\",\"choices\":[]}";
			redis.sync().set(redisKey, "{\"state\":\"done\",\"fingerprint\":\"" + fingerprint
					+ "\",\"status\":200,\"stream\":false,\"json\":" + quote(lost) + "}");

			Answer answer = duplicate.join();

			assertThat(first.isDone()).as("found before the first request ended").isFalse();
			assertThat(answer.status()).isEqualTo(200);
			assertThat(answer.body()).isEqualTo(lost);
		}
		first.join();
	}

	private static String quote(String text) {
		return tools.jackson.databind.json.JsonMapper.builder().build().writeValueAsString(text);
	}

	@Test
	void aStreamedOriginalReplaysAsAValidStream() {
		Map<String, String> headers = headers("sk-acme", UUID.randomUUID().toString(), null);
		String body = CHAT.replace("\"messages\"", "\"stream\":true,\"messages\"");
		List<String> original = events(headers, body);

		List<String> replay = events(headers, body);

		assertThat(original).last().isEqualTo("[DONE]");
		assertThat(replay).last().isEqualTo("[DONE]");
		assertThat(content(replay)).isEqualTo(content(original)).isNotEmpty();
		assertThat(backend.requests()).hasSize(1);
	}

	@Test
	void serverErrorsAreNotKeptSoTheClientCanRetry() {
		String key = UUID.randomUUID().toString();
		assertThat(post(headers("sk-acme", key, "status=500"), CHAT).status()).isEqualTo(500);

		Answer retry = post(headers("sk-acme", key, null), CHAT);

		assertThat(retry.status()).isEqualTo(200);
		assertThat(retry.headers().get("Idempotent-Replayed")).isNull();
		assertThat(backend.requests()).hasSize(2);
	}

	@Test
	void keysAreScopedByTenant() {
		String key = UUID.randomUUID().toString();
		post(headers("sk-acme", key, null), CHAT);

		Answer other = post(headers("sk-globex", key, null), CHAT);

		assertThat(other.headers().get("Idempotent-Replayed")).isNull();
		assertThat(backend.requests()).hasSize(2);
	}

	private static Map<String, String> headers(String apiKey, String idempotencyKey, String fault) {
		return fault == null ? Map.of("Authorization", "Bearer " + apiKey, "Idempotency-Key", idempotencyKey)
				: Map.of("Authorization", "Bearer " + apiKey, "Idempotency-Key", idempotencyKey,
						MockOpenAiServer.FAULT_HEADER, fault);
	}

	private Answer post(Map<String, String> headers, String body) {
		return new GatewayClient(port).post("/v1/chat/completions", headers, body);
	}

	private List<String> events(Map<String, String> headers, String body) {
		return GatewayClient.events(new GatewayClient(port).stream("/v1/chat/completions", headers, body)
			.collectList()
			.block(Duration.ofSeconds(10)));
	}

	private static String content(List<String> events) {
		StringBuilder text = new StringBuilder();
		for (String event : events) {
			int at = event.indexOf("\"content\":\"");
			if (at >= 0) {
				text.append(event, at + 11, event.indexOf('"', at + 11));
			}
		}
		return text.toString();
	}

}
