package dev.spillway.gateway.streaming;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import com.knuddels.jtokkit.api.Encoding;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.request.TokenCounter;
import dev.spillway.gateway.wire.LlmOperation;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

import static org.assertj.core.api.Assertions.assertThat;

class UsageCollectorTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final Encoding encoding = new TokenCounter(Map.of()).encoding(null, "gpt-4o");

	@Test
	void aLongStreamIsCountedInPartsToTheCountOfTheWholeTextAndIsNotKept() {
		UsageCollector usage = new UsageCollector(json, 1000, () -> encoding, LlmOperation.CHAT_COMPLETIONS::format,
				(prompt, completion, cached, reasoning) -> {
				});
		StringBuilder whole = new StringBuilder();
		for (int i = 0; i < 5000; i++) {
			String piece = (i == 0 ? "" : " ") + "token" + (i % 13) + (i % 7 == 0 ? "." : "");
			whole.append(piece);
			usage.onEvent(event(piece), false);
		}

		assertThat(usage.streamedTokens()).isEqualTo(encoding.countTokensOrdinary(whole.toString()));
		assertThat(usage.kept()).isFalse();
	}

	@Test
	void aShortStreamIsKeptWhole() {
		UsageCollector usage = new UsageCollector(json, 1000, () -> encoding, LlmOperation.CHAT_COMPLETIONS::format,
				(prompt, completion, cached, reasoning) -> {
				});
		usage.onEvent(event("Hello"), false);
		usage.onEvent(event(" world"), false);

		assertThat(usage.kept()).isTrue();
		assertThat(usage.toStored("gpt-4o", false).content()).isEqualTo("Hello world");
		assertThat(usage.streamedTokens()).isEqualTo(encoding.countTokensOrdinary("Hello world"));
	}

	@Test
	void aJsonAnswerIsReadFromWhatWasRelayedOnceAndPiecesArrivingLaterAreNotItsOwn() {
		byte[] answer = "{\"choices\":[{\"message\":{\"content\":\"Hi\"}}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}"
			.getBytes(StandardCharsets.UTF_8);
		UsageCollector whole = new UsageCollector(json, 1000, () -> encoding, LlmOperation.CHAT_COMPLETIONS::format,
				(prompt, completion, cached, reasoning) -> {
				});
		whole.onJsonBytes(buffer(answer, 0, 20));
		whole.onJsonBytes(buffer(answer, 20, answer.length));
		whole.onJsonEnd();
		whole.onJsonEnd();

		assertThat(whole.promptTokens()).isEqualTo(12);
		assertThat(whole.completionTokens()).isEqualTo(3);
		assertThat(whole.complete()).isTrue();

		// The client left before anything was relayed: an answer arriving after that is not what it was sent.
		UsageCollector cut = new UsageCollector(json, 1000, () -> encoding, LlmOperation.CHAT_COMPLETIONS::format,
				(prompt, completion, cached, reasoning) -> {
				});
		cut.onJsonEnd();
		cut.onJsonBytes(buffer(answer, 0, answer.length));
		cut.onJsonEnd();

		assertThat(cut.hasUsage()).isFalse();
		assertThat(cut.complete()).isFalse();
	}

	private static DataBuffer buffer(byte[] bytes, int from, int to) {
		return DefaultDataBufferFactory.sharedInstance.wrap(Arrays.copyOfRange(bytes, from, to));
	}

	private static byte[] event(String content) {
		return ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":" + json.writeValueAsString(content)
				+ "}}]}\n\n").getBytes(StandardCharsets.UTF_8);
	}

}
