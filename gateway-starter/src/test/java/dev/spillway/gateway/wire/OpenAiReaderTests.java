package dev.spillway.gateway.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** What the OpenAI operations' reader finds in JSON answers and in streamed events, without building trees. */
class OpenAiReaderTests {

	private final JsonMapper json = JsonMapper.builder().build();

	private final Recorder sink = new Recorder();

	private final AnswerReader chat = LlmOperation.CHAT_COMPLETIONS.format().reader(json, sink);

	@Test
	void aWholeChatAnswerGivesItsTextFinishModelAndUsageWithDetails() {
		chat.onJson(bytes("{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024\",\"choices\":[{\"index\":0,"
				+ "\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\"},\"logprobs\":null,\"finish_reason\":\"stop\","
				+ "\"content_filter_results\":{\"hate\":{\"filtered\":false}}}],\"usage\":{\"prompt_tokens\":12,"
				+ "\"completion_tokens\":3,\"total_tokens\":15,\"prompt_tokens_details\":{\"cached_tokens\":8},"
				+ "\"completion_tokens_details\":{\"reasoning_tokens\":1}}}"));

		assertThat(sink.text).containsExactly("Hello there");
		assertThat(sink.finish).isEqualTo("stop");
		assertThat(sink.model).isEqualTo("gpt-4o-2024");
		assertThat(sink.usage).containsExactly(12L, 3L, 8L, 1L);
		assertThat(sink.ended).isTrue();
	}

	@Test
	void aCutJsonAnswerIsNotComplete() {
		chat.onJson(bytes("{\"model\":\"gpt-4o\",\"choices\":[{\"message\":{\"content\":\"Hel"));

		assertThat(sink.ended).isFalse();
		assertThat(sink.usage).isEmpty();
	}

	@Test
	void anEmbeddingsAnswerGivesItsUsageWithoutReadingTheVectors() {
		StringBuilder vector = new StringBuilder("[0.1");
		for (int i = 0; i < 1535; i++) {
			vector.append(",-0.0123");
		}
		AnswerReader embeddings = LlmOperation.EMBEDDINGS.format().reader(json, sink);

		embeddings.onJson(bytes("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":" + vector
				+ "]}],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":12,\"total_tokens\":12}}"));

		assertThat(sink.usage).containsExactly(12L, 0L, -1L, -1L);
		assertThat(sink.text).isEmpty();
		assertThat(sink.ended).isTrue();
	}

	@Test
	void streamedChunksGiveTheirPiecesAndDoneIsTheTerminalEvent() {
		assertThat(chat.onEvent(bytes("data: {\"choices\":[],\"prompt_filter_results\":[{\"prompt_index\":0}]}\n\n"), false))
			.isTrue();
		chat.onEvent(bytes("data: {\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],"
				+ "\"usage\":null}\n\n"), false);
		chat.onEvent(bytes("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"), false);
		chat.onEvent(bytes("data:{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"), false);
		assertThat(chat.terminal()).isFalse();

		chat.onEvent(bytes("data: [DONE]\n\n"), false);

		assertThat(String.join("", sink.text)).isEqualTo("Hi");
		assertThat(sink.finish).isEqualTo("length");
		assertThat(chat.terminal()).isTrue();
		assertThat(sink.ended).isTrue();
	}

	@Test
	void theUsageReportIsHeldBackFromAClientThatDidNotAskForIt() {
		byte[] usageOnly = bytes("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}\n\n");
		byte[] usageOnAChoice = bytes("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":5,"
				+ "\"completion_tokens\":7}}\n\n");

		assertThat(chat.onEvent(usageOnly, false)).isFalse();
		assertThat(chat.onEvent(usageOnly, true)).isTrue();
		assertThat(chat.onEvent(usageOnAChoice, false)).as("it carries content too").isTrue();
		assertThat(sink.usage.subList(0, 2)).containsExactly(5L, 7L);
	}

	@Test
	void toolCallArgumentsCountAsTextAndMarkTheAnswer() {
		chat.onEvent(bytes("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\","
				+ "\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}\n\n"), false);

		assertThat(sink.tools).isTrue();
		assertThat(sink.text).containsExactly("{\"a\":1}");
	}

	@Test
	void anErrorEventAfterTheStreamStartedIsAnInBandError() {
		chat.onEvent(bytes("data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":\"overloaded\"}}\n\n"),
				false);

		assertThat(sink.errors).containsExactly("overloaded");
	}

	@Test
	void aLegacyCompletionsTextIsRead() {
		AnswerReader completions = LlmOperation.COMPLETIONS.format().reader(json, sink);

		completions.onEvent(bytes("data: {\"object\":\"text_completion\",\"choices\":[{\"text\":\"one \",\"index\":0}]}\n\n"),
				false);

		assertThat(sink.text).containsExactly("one ");
	}

	@Test
	void aDataLineNeedNotBeTheFirstLineOfItsEvent() {
		chat.onEvent(bytes("id: 7\ndata: {\"choices\":[{\"delta\":{\"content\":\"z\"}}]}\n\n"), false);

		assertThat(sink.text).containsExactly("z");
	}

	@Test
	void anErrorEventIsOneWellFormedEventOfTheOperation() {
		byte[] event = LlmOperation.CHAT_COMPLETIONS.format()
			.errorEvent(json, dev.spillway.gateway.error.OpenAiError.server(
					org.springframework.http.HttpStatus.BAD_GATEWAY, "upstream_stream_error", "cut"), chat);

		assertThat(new String(event, StandardCharsets.UTF_8)).startsWith("data: {\"error\":{").endsWith("}}\n\n")
			.contains("\"code\":\"upstream_stream_error\"");
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static final class Recorder implements AnswerSink {

		final List<String> text = new ArrayList<>();

		final List<Long> usage = new ArrayList<>();

		final List<String> errors = new ArrayList<>();

		String finish;

		String model;

		boolean tools;

		boolean ended;

		@Override
		public void text(String piece) {
			text.add(piece);
		}

		@Override
		public void callsTools() {
			tools = true;
		}

		@Override
		public void finishReason(String reason) {
			finish = reason;
		}

		@Override
		public void model(String named) {
			model = named;
		}

		@Override
		public void usage(long inputTokens, long outputTokens, long cachedTokens, long reasoningTokens) {
			usage.addAll(List.of(inputTokens, outputTokens, cachedTokens, reasoningTokens));
		}

		@Override
		public void reachedEnd() {
			ended = true;
		}

		@Override
		public void inBandError(String code) {
			errors.add(code);
		}

	}

}
