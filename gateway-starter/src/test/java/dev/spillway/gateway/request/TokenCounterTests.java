package dev.spillway.gateway.request;

import java.util.Map;

import com.knuddels.jtokkit.api.Encoding;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.wire.LlmOperation;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prompt counts against OpenAI's published figures: the "example_messages" of the OpenAI Cookbook's
 * "How to count tokens with tiktoken", which the API bills at 129 prompt tokens for gpt-4 / gpt-3.5-turbo
 * (cl100k_base) and 124 for gpt-4o / gpt-4o-mini (o200k_base).
 */
class TokenCounterTests {

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final String COOKBOOK_MESSAGES = """
			{"messages":[
			 {"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
			 {"role":"system","name":"example_user","content":"New synergies will help drive top-line growth."},
			 {"role":"system","name":"example_assistant","content":"Things working well together will increase revenue."},
			 {"role":"system","name":"example_user","content":"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
			 {"role":"system","name":"example_assistant","content":"Let's talk later when we're less busy about how to do better."},
			 {"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}
			]}""";

	private final TokenCounter counter = new TokenCounter(Map.of());

	@Test
	void cookbookExampleMatchesWhatTheApiBillsForGpt4() {
		assertThat(prompt("gpt-4", COOKBOOK_MESSAGES)).isEqualTo(129);
		assertThat(prompt("gpt-3.5-turbo", COOKBOOK_MESSAGES)).isEqualTo(129);
	}

	@Test
	void cookbookExampleMatchesWhatTheApiBillsForGpt4o() {
		assertThat(prompt("gpt-4o", COOKBOOK_MESSAGES)).isEqualTo(124);
		assertThat(prompt("gpt-4o-mini", COOKBOOK_MESSAGES)).isEqualTo(124);
	}

	@Test
	void modelFamiliesPickTheirEncoding() {
		assertThat(counter.encoding(null, "gpt-4o-2024-08-06").getName()).isEqualTo("o200k_base");
		assertThat(counter.encoding(null, "gpt-4.1-mini").getName()).isEqualTo("o200k_base");
		assertThat(counter.encoding(null, "o3-mini").getName()).isEqualTo("o200k_base");
		assertThat(counter.encoding(null, "gpt-35-turbo").getName()).isEqualTo("cl100k_base");
		assertThat(counter.encoding(null, "my-deployment").getName()).isEqualTo("cl100k_base");
		assertThat(counter.encoding("o200k_base", "my-deployment").getName()).isEqualTo("o200k_base");
		assertThat(new TokenCounter(Map.of("prod-", "o200k_base")).encoding(null, "prod-chat").getName())
			.isEqualTo("o200k_base");
	}

	@Test
	void multimodalAndToolsAreCounted() {
		String body = """
				{"messages":[{"role":"user","content":[{"type":"text","text":"What is in this picture?"},
				 {"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}}]}],
				 "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]}""";
		Encoding encoding = counter.encoding(null, "gpt-4o");
		long text = counter.count(encoding, "What is in this picture?");
		long tools = counter.count(encoding,
				"[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\"}}}]");

		assertThat(prompt("gpt-4o", body)).isEqualTo(3 + 3 + 1 + text + 85 /* a low-detail image */ + tools);
	}

	@Test
	void embeddingsAndCompletionsCountTheirInput() {
		Encoding encoding = counter.encoding(null, "text-embedding-3-small");
		assertThat(counter.promptTokens(encoding, LlmOperation.EMBEDDINGS, object("{\"input\":[\"hello world\",[1,2,3]]}")))
			.isEqualTo(2 + 3);
		assertThat(counter.promptTokens(encoding, LlmOperation.COMPLETIONS, object("{\"prompt\":\"hello world\"}")))
			.isEqualTo(2);
	}

	@Test
	void outputReservationUsesMaxTokensTimesNOrTheDefault() {
		assertThat(LlmOperation.CHAT_COMPLETIONS.format().outputReservation(object("{\"max_tokens\":100,\"n\":3}"), 1024)).isEqualTo(300);
		assertThat(LlmOperation.CHAT_COMPLETIONS.format().outputReservation(object("{\"max_completion_tokens\":50,\"max_tokens\":100}"), 1024)).isEqualTo(50);
		assertThat(LlmOperation.CHAT_COMPLETIONS.format().outputReservation(object("{}"), 1024)).isEqualTo(1024);
		assertThat(LlmOperation.EMBEDDINGS.format().outputReservation(object("{\"max_tokens\":9}"), 1024))
			.isZero();
	}

	private long prompt(String model, String body) {
		return counter.promptTokens(counter.encoding(null, model), LlmOperation.CHAT_COMPLETIONS, object(body));
	}

	private static ObjectNode object(String text) {
		return (ObjectNode) json.readTree(text);
	}

}
