package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
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

/** The cache through real HTTP, a real Redis and the local embedding model. Each test asks its own questions. */
@GatewayTest(pool = "gpt-4o", properties = { "spillway.cache.enabled=true", "spillway.cache.max-temperature=0.5",
		"spillway.cache.embedding.timeout=2s", "spillway.cache.lookup-timeout=3s" })
class ResponseCacheTests {

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
	void anIdenticalRequestIsAnExactHitWithAFreshId() {
		String body = chat("What is the boiling point of water at sea level?", false, null, null);
		Answer first = post(ACME, body);
		assertThat(first.headers().get("x-spillway-cache")).isEqualTo("MISS");

		Answer second = awaitOutcome(ACME, body, "HIT");

		assertThat(backend.requests()).hasSize(1);
		JsonNode original = json.readTree(first.body());
		JsonNode replayed = json.readTree(second.body());
		assertThat(replayed.path("choices").get(0).path("message").path("content").asString())
			.isEqualTo(original.path("choices").get(0).path("message").path("content").asString());
		assertThat(replayed.path("id").asString()).isNotEqualTo(original.path("id").asString())
			.startsWith("chatcmpl-cache-");
		assertThat(second.headers().get("Age")).isNotNull();
	}

	@Test
	void aNonStreamedAnswerReplaysAsAWellFormedStreamThatTheSdkReadsExactly() {
		String question = "Name three primary colours.";
		Answer original = post(ACME, chat(question, false, null, null));
		String text = json.readTree(original.body()).path("choices").get(0).path("message").path("content").asString();
		awaitOutcome(ACME, chat(question, false, null, null), "HIT");
		backend.clearRecords();

		OpenAIClient sdk = OpenAIOkHttpClient.builder()
			.apiKey("sk-acme")
			.baseUrl("http://127.0.0.1:" + port + "/v1")
			.maxRetries(0)
			.build();
		String streamed;
		try (StreamResponse<ChatCompletionChunk> stream = sdk.chat()
			.completions()
			.createStreaming(ChatCompletionCreateParams.builder()
				.model("gpt-4o")
				.temperature(0.0)
				.addUserMessage(question)
				.build())) {
			streamed = stream.stream()
				.flatMap(chunk -> chunk.choices().stream())
				.flatMap(choice -> choice.delta().content().stream())
				.collect(Collectors.joining());
		}

		assertThat(streamed).isEqualTo(text);
		assertThat(backend.requests()).as("served from the cache").isEmpty();
	}

	@Test
	void aStreamedAnswerIsStoredAfterDoneAndReplaysAsJsonOrStream() {
		String question = "Which planet is known as the red planet?";
		List<String> live = events(ACME, chat(question, true, null, null));
		assertThat(live).last().isEqualTo("[DONE]");

		Answer asJson = awaitOutcome(ACME, chat(question, false, null, null), "HIT");
		List<String> replayed = events(ACME, chat(question, true, null, null));

		assertThat(json.readTree(asJson.body()).path("object").asString()).isEqualTo("chat.completion");
		assertThat(content(replayed)).isEqualTo(content(live));
		assertThat(replayed.get(0)).contains("\"role\":\"assistant\"");
		assertThat(replayed.get(replayed.size() - 2)).contains("\"finish_reason\":\"stop\"");
		assertThat(replayed).last().isEqualTo("[DONE]");
		assertThat(replayed).noneMatch(e -> e.contains("\"usage\":{"));
		assertThat(backend.requests()).hasSize(1);
	}

	@Test
	void aReworkedQuestionIsASemanticHitWithItsSimilarity() {
		post(ACME, chat("How do I reset my password?", false, null, null));

		Answer reworded = awaitOutcome(ACME, chat("How can I reset my password?", false, null, null), "SEMANTIC_HIT");

		assertThat(Double.parseDouble(reworded.headers().get("x-spillway-cache-similarity"))).isBetween(0.9, 1.0);
		assertThat(backend.requests()).hasSize(1);
		Answer other = post(ACME, chat("How do I reset my username?", false, null, null));
		assertThat(other.headers().get("x-spillway-cache")).isEqualTo("MISS");
	}

	@Test
	void anotherTenantSystemPromptModelOrTemperatureIsAMiss() {
		String question = "What is the tallest mountain on Earth?";
		post(ACME, chat(question, false, null, null));
		awaitOutcome(ACME, chat(question, false, null, null), "HIT");

		assertThat(outcome(Map.of("Authorization", "Bearer sk-globex"), chat(question, false, null, null)))
			.as("another tenant").isEqualTo("MISS");
		assertThat(outcome(ACME, chat(question, false, "You answer in French.", null))).as("another system prompt")
			.isEqualTo("MISS");
		assertThat(outcome(ACME, chat(question, false, null, 0.2))).as("another temperature").isEqualTo("MISS");
		assertThat(outcome(ACME, chat(question, false, null, null).replace("\"gpt-4o\"", "\"gpt-4o-mini\"")))
			.as("another model").isEqualTo("MISS");
	}

	@Test
	void aQuestionRetypedInLowerCaseWithoutItsQuestionMarkIsAnExactHitWhileCodeAndTheSystemPromptKeepTheirCase() {
		post(ACME, chat("What is the capital city of France?", false, null, null));
		awaitOutcome(ACME, chat("What is the capital city of France?", false, null, null), "HIT");

		assertThat(outcome(ACME, chat("what is  the capital city of france", false, null, null))).isEqualTo("HIT");
		assertThat(outcome(ACME, chat("WHAT IS THE CAPITAL CITY OF FRANCE!", false, null, null))).isEqualTo("HIT");

		post(ACME, chat("Rename `userId` in this line: `int userId = 0;`", false, "Answer in one line.", null));
		awaitOutcome(ACME, chat("Rename `userId` in this line: `int userId = 0;`", false, "Answer in one line.", null),
				"HIT");
		assertThat(outcome(ACME, chat("rename `userId` in this line: `int userId = 0;`", false, "Answer in one line.",
				null))).as("the prose around the code").isEqualTo("HIT");
		assertThat(outcome(ACME, chat("Rename `userid` in this line: `int userid = 0;`", false, "Answer in one line.",
				null))).as("the code itself").isNotEqualTo("HIT");
		assertThat(outcome(ACME, chat("Rename `userId` in this line: `int userId = 0;`", false, "answer in one line",
				null))).as("the system prompt").isEqualTo("MISS");
	}

	@Test
	void cacheControlDirectivesAreCaseInsensitive() {
		String plain = chat("Tell me a fact about herons.", false, null, null);
		assertThat(outcome(ACME, plain)).isEqualTo("MISS");
		await().atMost(Duration.ofSeconds(5)).until(() -> "HIT".equals(outcome(ACME, plain)));

		assertThat(outcome(Map.of("Authorization", "Bearer sk-acme", "Cache-Control", "No-Cache"), plain))
			.isEqualTo("BYPASS");
	}

	@Test
	void uncacheableRequestsBypassTheCache() {
		String question = "Tell me a fact about owls.";
		String plain = chat(question, false, null, null);
		assertThat(outcome(Map.of("Authorization", "Bearer sk-acme", "Cache-Control", "no-store"), plain))
			.isEqualTo("BYPASS");
		assertThat(outcome(Map.of("Authorization", "Bearer sk-acme", "x-spillway-cache", "bypass"), plain))
			.isEqualTo("BYPASS");
		assertThat(outcome(ACME, plain.replace("\"messages\"", "\"n\":2,\"messages\""))).isEqualTo("BYPASS");
		assertThat(outcome(ACME, chat(question, false, null, 0.9))).as("above max-temperature").isEqualTo("BYPASS");
		assertThat(outcome(ACME, plain.replace("\"messages\"",
				"\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"messages\""))).isEqualTo("BYPASS");
		assertThat(backend.requests()).hasSize(5);
		assertThat(outcome(ACME, plain)).as("nothing was stored by a no-store request").isEqualTo("MISS");
	}

	@Test
	void anInterruptedStreamIsNeverStored() throws Exception {
		String body = chat("Describe a sunset over the ocean.", true, null, null);
		Map<String, String> cut = Map.of("Authorization", "Bearer sk-acme", MockOpenAiServer.FAULT_HEADER, "reset-after=3");
		assertThat(events(cut, body)).last().asString().contains("upstream_stream_error");
		Thread.sleep(500);

		assertThat(outcome(ACME, body.replace("\"stream\":true", "\"stream\":false"))).isEqualTo("MISS");
	}

	static String chat(String question, boolean stream, String system, Double temperature) {
		String messages = (system == null ? "" : "{\"role\":\"system\",\"content\":\"" + system + "\"},")
				+ "{\"role\":\"user\",\"content\":\"" + question + "\"}";
		return "{\"model\":\"gpt-4o\",\"stream\":" + stream + ",\"temperature\":" + (temperature == null ? 0 : temperature)
				+ ",\"messages\":[" + messages + "]}";
	}

	private Answer awaitOutcome(Map<String, String> headers, String body, String expected) {
		Answer[] last = new Answer[1];
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
			last[0] = post(headers, body);
			return expected.equals(last[0].headers().get("x-spillway-cache"));
		});
		return last[0];
	}

	private String outcome(Map<String, String> headers, String body) {
		return post(headers, body).headers().get("x-spillway-cache");
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
			if (event.startsWith("{")) {
				for (JsonNode choice : json.readTree(event).path("choices")) {
					text.append(choice.path("delta").path("content").asString(""));
				}
			}
		}
		return text.toString();
	}

}
