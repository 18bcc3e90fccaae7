package dev.spillway.gateway.streaming;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;
import dev.spillway.mock.RecordedRequest;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream that backend "a" breaks after its first events is continued on backend "b": the client reads one
 * complete answer, the same one an unbroken stream gives, with one id and one end.
 */
@GatewayTest(pool = { "a", "b" }, resetBackendOnStart = true,
		properties = "spillway.streaming.continue-broken-streams=true")
class StreamContinuationTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(
			MockDeployment.unlimited("a").withCompletionTokens(24), MockDeployment.unlimited("b").withCompletionTokens(24));

	static final JsonMapper json = JsonMapper.builder().build();

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	@LocalServerPort
	int port;

	@BeforeEach
	void reset() {
		backend.reset();
	}

	@Test
	void theOfficialSdkReadsOneCompleteAnswerWhenItsBackendBreaksMidStream() {
		OpenAIClient client = OpenAIOkHttpClient.builder()
			.apiKey("sk-acme")
			.baseUrl("http://127.0.0.1:" + port + "/v1")
			.maxRetries(0)
			.build();
		ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
			.model("gpt-4o")
			.addUserMessage("Tell me about spillways")
			.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
			.build();
		String whole = client.chat().completions().create(params).choices().get(0).message().content().orElseThrow();
		// The opening chunk and five words, then a reset.
		backend.faults("a", "reset-after=6");

		List<ChatCompletionChunk> chunks;
		try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
			chunks = stream.stream().toList();
		}

		String streamed = chunks.stream()
			.flatMap(chunk -> chunk.choices().stream())
			.flatMap(choice -> choice.delta().content().stream())
			.collect(Collectors.joining());
		assertThat(streamed).isEqualTo(whole);
		assertThat(chunks.stream().map(ChatCompletionChunk::id).distinct()).hasSize(1);
		assertThat(chunks.stream().flatMap(c -> c.choices().stream()).filter(c -> c.finishReason().isPresent()))
			.hasSize(1);
		ChatCompletionChunk usage = chunks.get(chunks.size() - 1);
		assertThat(usage.usage()).isPresent();
		// The mock reports 19 words from b; the five words from a are counted with the tokenizer and added.
		assertThat(usage.usage().get().completionTokens()).isGreaterThan(19).isLessThan(40);

		List<RecordedRequest> toB = backend.requests().stream().filter(r -> r.deployment().equals("b")).toList();
		assertThat(toB).hasSize(1);
		JsonNode messages = json.readTree(toB.get(0).body()).path("messages");
		JsonNode last = messages.get(messages.size() - 1);
		assertThat(last.path("role").asString()).isEqualTo("assistant");
		assertThat(whole).startsWith(last.path("content").asString());
		assertThat(last.path("content").asString().split(" ")).hasSize(5);
	}

	@Test
	void azuresPromptFilterChunkDoesNotGiveTheContinuationAnEmptyId() {
		backend.faults("a", "prompt-filter=1;reset-after=7");
		backend.faults("b", "prompt-filter=1");
		String body = """
				{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hello"}]}""";

		List<String> events = chatEvents(body);

		assertThat(events).last().isEqualTo("[DONE]");
		List<JsonNode> chunks = events.stream().filter(e -> !e.equals("[DONE]")).map(e -> data("data: " + e)).toList();
		assertThat(chunks.stream().filter(c -> c.path("choices").isEmpty())).as("one prompt-filter chunk").hasSize(1);
		List<String> ids = chunks.stream()
			.filter(c -> !c.path("choices").isEmpty())
			.map(c -> c.path("id").asString())
			.distinct()
			.toList();
		assertThat(ids).hasSize(1);
		assertThat(ids.get(0)).isNotEmpty();
		assertThat(backend.requestCount("b")).isEqualTo(1);
	}

	@Test
	void aStreamThatBreaksAfterItsFinishReasonIsNotContinued() {
		// The opening, 24 words and the finish chunk; the reset comes instead of [DONE].
		backend.faults("a", "reset-after=26");
		String body = """
				{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hello"}]}""";

		List<String> events = chatEvents(body);

		assertThat(events.stream().filter(e -> e.contains("\"finish_reason\":\"stop\""))).hasSize(1);
		assertThat(data("data: " + events.get(events.size() - 1)).path("error").path("code").asString())
			.isEqualTo("upstream_stream_error");
		assertThat(backend.requestCount("b")).isZero();
	}

	@Test
	void theContinuationAsksOnlyForWhatIsLeftOfTheOutputCap() {
		backend.faults("a", "reset-after=6");
		String body = """
				{"model":"gpt-4o","stream":true,"max_tokens":24,"messages":[{"role":"user","content":"Hello"}]}""";

		chatEvents(body);

		List<RecordedRequest> toB = backend.requests().stream().filter(r -> r.deployment().equals("b")).toList();
		assertThat(toB).hasSize(1);
		// One request id for both backend calls: the continuation is the same request.
		String firstId = backend.requests().stream().filter(r -> r.deployment().equals("a")).reduce((x, y) -> y)
			.orElseThrow().header("x-request-id");
		assertThat(firstId).isNotBlank();
		assertThat(toB.get(0).header("x-request-id")).isEqualTo(firstId);
		// Five words were streamed: the tokenizer counts them as five tokens or a few more.
		assertThat(json.readTree(toB.get(0).body()).path("max_tokens").asInt()).isBetween(15, 19);
	}

	@Test
	void aResponsesStreamThatIsNotStoredIsContinuedInTheSameNumberingUnderTheSameId() {
		String body = """
				{"model":"gpt-4o","stream":true,"store":false,"input":"Name a river.","max_output_tokens":24}""";
		backend.faults("a", "reset-after=7");

		List<String> events = split(new GatewayClient(port).stream("/v1/responses", ACME, body)
			.collectList()
			.block(Duration.ofSeconds(20)));

		assertThat(events).noneMatch(e -> e.startsWith("event: error") || e.startsWith("event: response.failed"));
		assertThat(events.stream().filter(e -> e.startsWith("event: response.created"))).hasSize(1);
		String id = data(events.get(0)).path("response").path("id").asString();
		JsonNode completed = data(events.get(events.size() - 1));
		assertThat(completed.path("type").asString()).isEqualTo("response.completed");
		assertThat(completed.path("response").path("id").asString()).isEqualTo(id);
		for (int i = 0; i < events.size(); i++) {
			assertThat(data(events.get(i)).path("sequence_number").asLong()).as("event " + i).isEqualTo(i);
		}
		String deltas = events.stream()
			.filter(e -> e.startsWith("event: response.output_text.delta"))
			.map(e -> data(e).path("delta").asString())
			.collect(Collectors.joining());
		String completedText = completed.path("response").path("output").get(0).path("content").get(0).path("text")
			.asString();
		assertThat(deltas).isEqualTo(completedText);
		RecordedRequest toB = backend.requests().stream().filter(r -> r.deployment().equals("b")).findFirst().orElseThrow();
		JsonNode asked = json.readTree(toB.body());
		JsonNode input = asked.path("input");
		int carried = input.get(input.size() - 1).path("content").asString().split(" ").length;
		// The cap left for the rest is what was asked less what the tokenizer counted of the words streamed.
		assertThat(asked.path("max_output_tokens").asInt()).isLessThan(24 - carried + 1).isGreaterThan(0);
		assertThat(completedText.split(" ")).hasSize(carried + asked.path("max_output_tokens").asInt());
		assertThat(events.stream()
			.filter(e -> e.startsWith("event: response.output_text.delta"))
			.map(e -> data(e).path("item_id").asString())
			.distinct()).hasSize(1);
		assertThat(backend.requestCount("b")).isEqualTo(1);
	}

	@Test
	void aStoredResponseIsNotContinuedAndEndsWithItsErrorEventAsBefore() {
		String body = """
				{"model":"gpt-4o","stream":true,"input":"Name a river.","max_output_tokens":24}""";
		backend.faults("a", "reset-after=7");

		List<String> events = split(new GatewayClient(port).stream("/v1/responses", ACME, body)
			.collectList()
			.block(Duration.ofSeconds(20)));

		assertThat(events.get(events.size() - 2)).startsWith("event: error");
		assertThat(events.get(events.size() - 1)).startsWith("event: response.failed");
		assertThat(backend.requestCount("b")).isZero();
	}

	@Test
	void aRequestThatOffersToolsIsNotContinued() {
		String body = """
				{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Weather?"}],
				 "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object"}}}]}""";
		backend.faults("a", "reset-after=6");

		List<String> events = chatEvents(body);

		assertThat(data("data: " + events.get(events.size() - 1)).path("error").path("code").asString())
			.isEqualTo("upstream_stream_error");
		assertThat(backend.requestCount("b")).isZero();
	}

	@Test
	void whenTheOtherBackendBreaksTooTheStreamEndsWithTheErrorEvent() {
		backend.faults("a", "reset-after=6");
		backend.faults("b", "reset-after=3");
		String body = """
				{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hello"}]}""";

		List<String> events = chatEvents(body);

		assertThat(data("data: " + events.get(events.size() - 1)).path("error").path("code").asString())
			.isEqualTo("upstream_stream_error");
		assertThat(events).noneMatch(e -> e.equals("[DONE]"));
		assertThat(backend.requestCount("b")).isEqualTo(1);
	}

	/** The events of a streamed chat completion through the gateway, {@code [DONE]} included. */
	private List<String> chatEvents(String body) {
		return GatewayClient.events(new GatewayClient(port).stream("/v1/chat/completions", ACME, body)
			.collectList()
			.block(Duration.ofSeconds(20)));
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
