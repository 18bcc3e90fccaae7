package dev.spillway.gateway.streaming;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.wire.LlmOperation;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream read as the relay reads it — network reads cut anywhere, joined into whole events, each read by the
 * operation's reader — gives the same text, usage and end whatever the cuts, and the usage is told once.
 */
class StreamReadingTests {

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final Encoding encoding = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

	private static final String STREAM = stream();

	private static String stream() {
		StringBuilder events = new StringBuilder("data: {\"choices\":[],\"prompt_filter_results\":[]}\n\n");
		for (int i = 0; i < 40; i++) {
			events.append("data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"wörd ")
				.append(i)
				.append(" \"},\"finish_reason\":null}],\"usage\":null}\n\n");
		}
		events.append("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
		events.append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":80,\"total_tokens\":101}}\n\n");
		events.append("data: [DONE]\n\n");
		return events.toString();
	}

	@RepeatedTest(20)
	void cutAnywhereTheStreamReadsTheSame() {
		SplittableRandom random = new SplittableRandom();
		byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
		List<long[]> told = new ArrayList<>();
		UsageCollector usage = collector(told);
		SseEventSplitter splitter = new SseEventSplitter();
		StringBuilder relayed = new StringBuilder();
		for (int at = 0; at < bytes.length;) {
			int piece = Math.min(bytes.length - at, 1 + random.nextInt(40));
			byte[] read = new byte[piece];
			System.arraycopy(bytes, at, read, 0, piece);
			for (byte[] event : splitter.feed(read)) {
				if (usage.onEvent(event, false)) {
					relayed.append(new String(event, StandardCharsets.UTF_8));
				}
			}
			at += piece;
		}

		assertThat(usage.toStored("gpt-4o", false).content()).isEqualTo(expectedText());
		assertThat(usage.promptTokens()).isEqualTo(21);
		assertThat(usage.completionTokens()).isEqualTo(80);
		assertThat(usage.finishReason()).isEqualTo("stop");
		assertThat(usage.complete()).isTrue();
		assertThat(usage.terminal()).isTrue();
		assertThat(told).hasSize(1);
		assertThat(relayed.toString()).as("the usage report the client did not ask for is held back")
			.doesNotContain("\"prompt_tokens\"")
			.endsWith("data: [DONE]\n\n");
		assertThat(usage.streamedTokens()).isEqualTo(encoding.countTokensOrdinary(expectedText()));
	}

	@Test
	void aStreamCutBeforeItsTerminalEventIsNotComplete() {
		UsageCollector usage = collector(new ArrayList<>());
		byte[] cut = STREAM.substring(0, STREAM.indexOf("data: [DONE]")).getBytes(StandardCharsets.UTF_8);

		new SseEventSplitter().feed(cut).forEach(event -> usage.onEvent(event, true));

		assertThat(usage.terminal()).isFalse();
		assertThat(usage.complete()).isFalse();
		assertThat(usage.hasUsage()).isTrue();
	}

	private static UsageCollector collector(List<long[]> told) {
		return new UsageCollector(json, 100_000, () -> encoding, LlmOperation.CHAT_COMPLETIONS::format,
				(prompt, completion, cached, reasoning) -> told.add(new long[] { prompt, completion }));
	}

	private static String expectedText() {
		StringBuilder text = new StringBuilder();
		for (int i = 0; i < 40; i++) {
			text.append("wörd ").append(i).append(' ');
		}
		return text.toString();
	}

}
