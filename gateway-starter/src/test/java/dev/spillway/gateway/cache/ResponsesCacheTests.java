package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseTextDeltaEvent;
import com.openai.models.responses.ResponseUsage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The response cache for the Responses API: stateless requests ({@code store: false}, no earlier response) are
 * served from it as a {@code response} object or as a typed stream the official SDK reads like a live one; stateful
 * ones never are, so no client gets an id its backend does not know, nor another chain's answer.
 */
@GatewayTest(pool = "gpt-4o", properties = { "spillway.cache.enabled=true", "spillway.cache.embedding.timeout=2s",
		"spillway.cache.lookup-timeout=3s" })
class ResponsesCacheTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withCompletionTokens(9));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	@LocalServerPort
	int port;

	@BeforeEach
	void clear() {
		backend.clearRecords();
	}

	@Test
	void aStatelessStreamedAnswerIsReplayedAsATypedStreamTheSdkReadsWithTheSameTextAndUsage() {
		OpenAIClient client = OpenAIOkHttpClient.builder()
			.baseUrl("http://127.0.0.1:" + port + "/v1")
			.apiKey("sk-acme")
			.maxRetries(0)
			.build();
		ResponseCreateParams params = ResponseCreateParams.builder()
			.model("gpt-4o")
			.input("Which river flows through Vienna?")
			.store(false)
			.temperature(0.0)
			.build();

		Streamed live = stream(client, params);
		// The SDK's own body, as the backend received it, read raw from the gateway until the cache serves it.
		String sdkBody = backend.requests().get(0).body();
		AtomicReference<List<GatewayClient.Chunk>> raw = new AtomicReference<>();
		await().atMost(Duration.ofSeconds(5)).until(() -> {
			raw.set(new GatewayClient(port).stream("/v1/responses", ACME, sdkBody)
				.collectList()
				.block(Duration.ofSeconds(10)));
			return "HIT".equals(raw.get().get(0).headers().get("x-spillway-cache"));
		});
		long upstream = backend.requests().size();
		Streamed replayed = stream(client, params);

		assertThat(backend.requests()).hasSize((int) upstream);
		assertThat(live.text()).isNotEmpty();
		assertThat(replayed.responseId()).startsWith("resp_cache_");
		assertThat(replayed.text()).isEqualTo(live.text());
		assertThat(replayed.usage().outputTokens()).isEqualTo(live.usage().outputTokens());
		assertThat(replayed.usage().inputTokens()).isEqualTo(live.usage().inputTokens());
		// On the wire: typed events numbered 0, 1, 2, ... ending at response.completed.
		List<Long> sequence = new ArrayList<>();
		List<String> types = new ArrayList<>();
		String events = raw.get().stream().map(GatewayClient.Chunk::text).collect(Collectors.joining());
		for (String event : events.split("\n\n")) {
			if (!event.isBlank()) {
				types.add(event.substring("event: ".length(), event.indexOf('\n')));
				sequence.add(json.readTree(event.substring(event.indexOf("data: ") + 6)).path("sequence_number").asLong());
			}
		}
		assertThat(sequence).isEqualTo(java.util.stream.LongStream.range(0, sequence.size()).boxed().toList());
		assertThat(types.get(0)).isEqualTo("response.created");
		assertThat(types.get(types.size() - 1)).isEqualTo("response.completed");
	}

	@Test
	void aRewordedStatelessQuestionIsASemanticHitAsJson() {
		Answer first = post("""
				{"model":"gpt-4o","store":false,"temperature":0,
				 "input":[{"role":"user","content":[{"type":"input_text","text":"How do I reset my password?"}]}]}""");
		assertThat(first.headers().get("x-spillway-cache")).isEqualTo("MISS");

		Answer[] hit = new Answer[1];
		await().atMost(Duration.ofSeconds(5)).until(() -> {
			hit[0] = post("""
					{"model":"gpt-4o","store":false,"temperature":0,
					 "input":[{"role":"user","content":[{"type":"input_text","text":"How can I reset my password?"}]}]}""");
			return "SEMANTIC_HIT".equals(hit[0].headers().get("x-spillway-cache"));
		});
		JsonNode replayed = json.readTree(hit[0].body());
		assertThat(replayed.path("object").asString()).isEqualTo("response");
		assertThat(replayed.path("id").asString()).isNotEqualTo(json.readTree(first.body()).path("id").asString());
		assertThat(replayed.path("output").get(0).path("content").get(0).path("text").asString())
			.isEqualTo(json.readTree(first.body()).path("output").get(0).path("content").get(0).path("text").asString());
	}

	@Test
	void statefulRequestsAreNeverAnsweredFromTheCache() {
		String stored = """
				{"model":"gpt-4o","input":"Name a mountain.","temperature":0}""";
		Answer first = post(stored);
		Answer second = post(stored);
		String id = json.readTree(first.body()).path("id").asString();
		String continuation = """
				{"model":"gpt-4o","previous_response_id":"%s","input":"Another one?","store":false,"temperature":0}"""
			.formatted(id);
		Answer third = post(continuation);
		Answer fourth = post(continuation);

		// Each reached the backend: a stored request, or one continuing a chain, is its own answer.
		assertThat(backend.requests()).hasSize(4);
		for (Answer answer : List.of(first, second, third, fourth)) {
			assertThat(answer.status()).isEqualTo(200);
			assertThat(answer.headers().get("x-spillway-cache")).isNotIn("HIT", "SEMANTIC_HIT");
			assertThat(json.readTree(answer.body()).path("id").asString()).startsWith("resp_mock");
		}
	}

	private Answer post(String body) {
		return new GatewayClient(port).post("/v1/responses", ACME, body);
	}

	record Streamed(String text, ResponseUsage usage, String responseId) {
	}

	private static Streamed stream(OpenAIClient client, ResponseCreateParams params) {
		List<ResponseStreamEvent> events = new ArrayList<>();
		try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params)) {
			stream.stream().forEach(events::add);
		}
		String text = events.stream()
			.flatMap(event -> event.outputTextDelta().stream())
			.map(ResponseTextDeltaEvent::delta)
			.collect(Collectors.joining());
		ResponseUsage usage = events.get(events.size() - 1).completed().orElseThrow().response().usage().orElseThrow();
		String id = events.get(0).created().orElseThrow().response().id();
		return new Streamed(text, usage, id);
	}

}
