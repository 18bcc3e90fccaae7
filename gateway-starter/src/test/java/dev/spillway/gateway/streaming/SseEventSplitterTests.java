package dev.spillway.gateway.streaming;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SseEventSplitterTests {

	@Test
	void eventsSplitAcrossReadsComeOutWholeAndUnchanged() {
		SseEventSplitter splitter = new SseEventSplitter();
		List<String> events = new ArrayList<>();

		events.addAll(text(splitter.feed(bytes("data: {\"a\":1}\n"))));
		events.addAll(text(splitter.feed(bytes("\ndata: {\"b\""))));
		events.addAll(text(splitter.feed(bytes(":2}\n\ndata: [DONE]\n\n"))));

		assertThat(events).containsExactly("data: {\"a\":1}\n\n", "data: {\"b\":2}\n\n", "data: [DONE]\n\n");
		assertThat(splitter.remainder()).isNull();
	}

	@Test
	void anEventMayReachTheLimitButNotPassIt() {
		SseEventSplitter splitter = new SseEventSplitter(20);

		assertThat(text(splitter.feed(bytes("data: 0123456789\n\n")))).containsExactly("data: 0123456789\n\n");
		splitter.feed(bytes("data: 01234"));
		assertThat(splitter.feed(bytes("567890123"))).isEmpty();
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> splitter.feed(bytes("4")))
			.isInstanceOf(SseEventSplitter.EventTooLargeException.class);
	}

	@Test
	void crlfFramingIsRecognised() {
		SseEventSplitter splitter = new SseEventSplitter();

		List<String> events = text(splitter.feed(bytes("data: x\r\n\r\ndata: y\r\n")));

		assertThat(events).containsExactly("data: x\r\n\r\n");
		assertThat(new String(splitter.remainder(), StandardCharsets.UTF_8)).isEqualTo("data: y\r\n");
	}

	@Test
	void byteAtATimeStillYieldsWholeEvents() {
		SseEventSplitter splitter = new SseEventSplitter();
		String stream = "data: one\n\n: comment\n\ndata: two\nid: 2\n\n";
		List<String> events = new ArrayList<>();
		for (byte b : bytes(stream)) {
			events.addAll(text(splitter.feed(new byte[] { b })));
		}

		assertThat(events).containsExactly("data: one\n\n", ": comment\n\n", "data: two\nid: 2\n\n");
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static List<String> text(List<byte[]> events) {
		return events.stream().map(e -> new String(e, StandardCharsets.UTF_8)).toList();
	}

}
