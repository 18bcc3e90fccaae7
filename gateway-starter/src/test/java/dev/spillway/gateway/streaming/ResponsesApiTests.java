package dev.spillway.gateway.streaming;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.limit.TenantBuckets;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;
import dev.spillway.mock.RecordedRequest;
import dev.spillway.mock.StreamGate;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * OpenAI's Responses API through the gateway: typed events relayed one by one, usage charged from the terminal
 * event (or counted when a stream is cut), a cut stream ended with an {@code error} and a {@code response.failed}
 * event numbered after the last one relayed, a 429 failed over before the client sees it, and the two Azure backend
 * forms: legacy ({@code /openai/responses?api-version=}) for {@code a}, v1 ({@code /openai/v1/responses}) for
 * {@code b}.
 */
@GatewayTest(properties = { "spillway.pools.gpt.models=gpt-4o", "spillway.pools.gpt.backends[0].id=a",
		"spillway.pools.gpt.backends[0].type=azure", "spillway.pools.gpt.backends[0].deployment=a",
		"spillway.pools.gpt.backends[0].url=${spillway.test.backend-url}", "spillway.pools.gpt.backends[0].priority=1",
		"spillway.pools.gpt.backends[0].api-key=key-a", "spillway.pools.gpt.backends[1].id=b",
		"spillway.pools.gpt.backends[1].type=azure", "spillway.pools.gpt.backends[1].azure-form=v1",
		"spillway.pools.gpt.backends[1].deployment=b", "spillway.pools.gpt.backends[1].url=${spillway.test.backend-url}",
		"spillway.pools.gpt.backends[1].priority=2", "spillway.pools.gpt.backends[1].api-key=key-b",
		"spillway.pools.gpt.max-wait=0s", "spillway.limits.tiers.daily.tokens-per-day=100000000",
		"spillway.tenants.daily.keys=sk-daily", "spillway.tenants.daily.tier=daily" })
class ResponsesApiTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a").withCompletionTokens(8),
			MockDeployment.unlimited("b").withCompletionTokens(8));

	static final Map<String, String> DAILY = Map.of("Authorization", "Bearer sk-daily");

	static final String STREAM = """
			{"model":"gpt-4o","stream":true,"instructions":"Be brief.","input":"Name a river.","max_output_tokens":64}""";

	static final JsonMapper json = JsonMapper.builder().build();

	@LocalServerPort
	int port;

	@Autowired
	ApplicationContext gateway;

	@BeforeEach
	void reset() {
		backend.reset();
	}

	@Test
	void aStreamIsRelayedEventByEventEndsAtResponseCompletedAndIsChargedItsUsage() {
		StreamGate gate = backend.gateNextStream("a");
		long before = TenantBuckets.availableTokens(gateway, "daily", "gpt-4o");
		AtomicInteger released = new AtomicInteger(1);
		List<String> received = new ArrayList<>();
		StringBuilder pending = new StringBuilder();
		gate.release();
		new GatewayClient(port).stream("/v1/responses", DAILY, STREAM).doOnNext(chunk -> {
			pending.append(chunk.text());
			int end;
			while ((end = pending.indexOf("\n\n")) >= 0) {
				received.add(pending.substring(0, end));
				pending.delete(0, end + 2);
				// Event k reached the client while the backend had been allowed to write k events only.
				assertThat(received).hasSize(released.get());
				released.incrementAndGet();
				gate.release();
			}
		}).blockLast(Duration.ofSeconds(20));

		// created, in progress, item and part added, 64 deltas (max_output_tokens), text, part and item done, completed.
		assertThat(received).hasSize(71);
		assertThat(received.get(0)).startsWith("event: response.created\n");
		assertThat(received.get(70)).startsWith("event: response.completed\n");
		JsonNode usage = data(received.get(70)).path("response").path("usage");
		long reported = usage.path("input_tokens").asLong() + usage.path("output_tokens").asLong();
		assertThat(usage.path("output_tokens").asLong()).isEqualTo(64);
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(before - TenantBuckets.availableTokens(gateway, "daily", "gpt-4o"))
				.isEqualTo(reported));
	}

	@Test
	void aCutStreamEndsWithAnErrorEventAndResponseFailedAndIsChargedWhatWasStreamed() {
		long before = TenantBuckets.availableTokens(gateway, "daily", "gpt-4o");
		Map<String, String> cut = Map.of("Authorization", "Bearer sk-daily", MockOpenAiServer.FAULT_HEADER,
				"reset-after=7");
		List<String> events = split(new GatewayClient(port).stream("/v1/responses", cut, STREAM)
			.collectList()
			.block(Duration.ofSeconds(20)));

		// created, in_progress, item added, part added, 3 deltas; then the gateway's two.
		assertThat(events).hasSize(9);
		JsonNode error = data(events.get(7));
		assertThat(events.get(7)).startsWith("event: error\n");
		assertThat(error.path("sequence_number").asLong()).isEqualTo(7);
		assertThat(error.path("code").asString()).isEqualTo("upstream_stream_error");
		JsonNode failed = data(events.get(8));
		assertThat(events.get(8)).startsWith("event: response.failed\n");
		assertThat(failed.path("sequence_number").asLong()).isEqualTo(8);
		assertThat(failed.path("response").path("id").asString())
			.isEqualTo(data(events.get(0)).path("response").path("id").asString());
		assertThat(failed.path("response").path("status").asString()).isEqualTo("failed");
		// Charged the prompt and the three streamed words, counted: not zero, not the 64-token reservation.
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			long charged = before - TenantBuckets.availableTokens(gateway, "daily", "gpt-4o");
			assertThat(charged).isGreaterThan(3).isLessThan(40);
		});
	}

	@Test
	void anIncompleteResponseIsChargedWhatItReports() {
		long before = TenantBuckets.availableTokens(gateway, "daily", "gpt-4o");
		Map<String, String> incomplete = Map.of("Authorization", "Bearer sk-daily", MockOpenAiServer.FAULT_HEADER,
				"incomplete=1");
		List<String> events = split(new GatewayClient(port).stream("/v1/responses", incomplete, STREAM)
			.collectList()
			.block(Duration.ofSeconds(20)));

		String last = events.get(events.size() - 1);
		assertThat(last).startsWith("event: response.incomplete\n");
		JsonNode usage = data(last).path("response").path("usage");
		long reported = usage.path("input_tokens").asLong() + usage.path("output_tokens").asLong();
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(before - TenantBuckets.availableTokens(gateway, "daily", "gpt-4o"))
				.isEqualTo(reported));
	}

	@Test
	void aJsonResponseIsChargedItsUsageAndReachesTheLegacyAzureFormWithTheDeploymentInTheBody() {
		long before = TenantBuckets.availableTokens(gateway, "daily", "gpt-4o");
		Answer answer = new GatewayClient(port).post("/v1/responses", DAILY, """
				{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_text","text":"Hi"}]}]}""");

		assertThat(answer.status()).isEqualTo(200);
		JsonNode body = json.readTree(answer.body());
		assertThat(body.path("object").asString()).isEqualTo("response");
		RecordedRequest sent = backend.requests().get(0);
		assertThat(sent.uri()).isEqualTo("/openai/responses?api-version=2025-04-01-preview");
		assertThat(json.readTree(sent.body()).path("model").asString()).isEqualTo("a");
		assertThat(sent.headers().get("api-key")).isEqualTo("key-a");
		long reported = body.path("usage").path("input_tokens").asLong() + body.path("usage").path("output_tokens")
			.asLong();
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(before - TenantBuckets.availableTokens(gateway, "daily", "gpt-4o"))
				.isEqualTo(reported));
	}

	@Test
	void a429FromThePreferredBackendIsFailedOverToTheV1FormBeforeTheClientSeesIt() {
		backend.throttle("a", Duration.ofSeconds(30));
		List<GatewayClient.Chunk> chunks = new GatewayClient(port).stream("/v1/responses", DAILY, STREAM)
			.collectList()
			.block(Duration.ofSeconds(20));

		assertThat(chunks.get(0).status()).isEqualTo(200);
		assertThat(chunks.get(0).headers().get("x-spillway-backend")).isEqualTo("b");
		List<String> events = split(chunks);
		assertThat(events.get(events.size() - 1)).startsWith("event: response.completed\n");
		assertThat(backend.requestCount("a")).isEqualTo(1);
		RecordedRequest toB = backend.requests().stream().filter(r -> r.deployment().equals("b")).findFirst().orElseThrow();
		assertThat(toB.uri()).isEqualTo("/openai/v1/responses");
		assertThat(toB.headers().get("api-key")).isEqualTo("key-b");
	}

	@Test
	void azureV1ClientPathsReachThePoolWithTheModelFromTheBody() {
		GatewayClient client = new GatewayClient(port);
		Answer chat = client.post("/openai/v1/chat/completions", DAILY, """
				{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""");
		Answer responses = client.post("/openai/v1/responses", DAILY, """
				{"model":"gpt-4o","input":"Hi"}""");

		assertThat(chat.status()).isEqualTo(200);
		assertThat(json.readTree(chat.body()).path("object").asString()).isEqualTo("chat.completion");
		assertThat(responses.status()).isEqualTo(200);
		assertThat(json.readTree(responses.body()).path("object").asString()).isEqualTo("response");
	}

	@Test
	void theModelListNamesWhatThePoolsServe() {
		GatewayClient client = new GatewayClient(port);
		Answer list = client.get("/v1/models", DAILY);
		Answer azureList = client.get("/openai/v1/models", DAILY);
		Answer one = client.get("/v1/models/gpt-4o", DAILY);
		Answer unknown = client.get("/v1/models/gpt-9", DAILY);
		Answer anonymous = client.get("/v1/models");

		assertThat(list.status()).isEqualTo(200);
		JsonNode models = json.readTree(list.body());
		assertThat(models.path("object").asString()).isEqualTo("list");
		assertThat(models.path("data")).hasSize(1);
		assertThat(models.path("data").get(0).path("id").asString()).isEqualTo("gpt-4o");
		assertThat(models.path("data").get(0).path("object").asString()).isEqualTo("model");
		assertThat(json.readTree(azureList.body())).isEqualTo(models);
		assertThat(one.status()).isEqualTo(200);
		assertThat(json.readTree(one.body()).path("id").asString()).isEqualTo("gpt-4o");
		assertThat(unknown.status()).isEqualTo(404);
		assertThat(json.readTree(unknown.body()).path("error").path("code").asString()).isEqualTo("model_not_found");
		assertThat(anonymous.status()).isEqualTo(401);
		assertThat(backend.requests()).isEmpty();
	}

	@Test
	void anIdempotencyKeyReplaysAJsonAndAStreamedResponse() {
		GatewayClient client = new GatewayClient(port);
		Map<String, String> json = Map.of("Authorization", "Bearer sk-daily", "Idempotency-Key", "resp-json-1");
		Map<String, String> streamed = Map.of("Authorization", "Bearer sk-daily", "Idempotency-Key", "resp-stream-1");
		String plain = """
				{"model":"gpt-4o","input":"Name a lake."}""";

		Answer first = client.post("/v1/responses", json, plain);
		Answer again = client.post("/v1/responses", json, plain);
		List<String> live = split(client.stream("/v1/responses", streamed, STREAM).collectList()
			.block(Duration.ofSeconds(20)));
		AtomicReference<List<GatewayClient.Chunk>> replay = new AtomicReference<>();
		await().atMost(Duration.ofSeconds(5)).until(() -> {
			replay.set(client.stream("/v1/responses", streamed, STREAM).collectList().block(Duration.ofSeconds(20)));
			return "true".equals(replay.get().get(0).headers().get("Idempotent-Replayed"));
		});
		List<String> replayed = split(replay.get());

		assertThat(again.headers().get("Idempotent-Replayed")).isEqualTo("true");
		assertThat(again.body()).isEqualTo(first.body());
		assertThat(replayed.get(0)).startsWith("event: response.created\n");
		assertThat(replayed.get(replayed.size() - 1)).startsWith("event: response.completed\n");
		assertThat(text(replayed)).isEqualTo(text(live)).isNotEmpty();
		assertThat(backend.requestCount("a")).isEqualTo(2);
	}

	/** The text of a stream's {@code response.output_text.delta} events. */
	private static String text(List<String> events) {
		StringBuilder text = new StringBuilder();
		events.stream()
			.filter(event -> event.startsWith("event: response.output_text.delta\n"))
			.forEach(event -> text.append(data(event).path("delta").asString()));
		return text.toString();
	}

	private static JsonNode data(String event) {
		return json.readTree(event.substring(event.indexOf("data: ") + "data: ".length()));
	}

	private static List<String> split(List<GatewayClient.Chunk> chunks) {
		StringBuilder all = new StringBuilder();
		chunks.forEach(chunk -> all.append(chunk.text()));
		List<String> events = new ArrayList<>();
		for (String event : all.toString().split("\n\n")) {
			if (!event.isBlank()) {
				events.add(event);
			}
		}
		return events;
	}

}
