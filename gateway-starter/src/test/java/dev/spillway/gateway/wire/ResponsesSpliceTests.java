package dev.spillway.gateway.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** How a Responses continuation's events are rewritten into the rest of the broken stream. */
class ResponsesSpliceTests {

	private final JsonMapper json = JsonMapper.builder().build();

	@Test
	void aReasoningModelsContinuationLosesItsReasoningItemAndItsMessageTakesTheBrokenStreamsPlace() {
		ResponsesReader broken = new ResponsesReader(json, new Ignoring(), true);
		read(broken, "response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\","
				+ "\"model\":\"o4-mini\",\"status\":\"in_progress\",\"output\":[]}}");
		read(broken, "response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":1,"
				+ "\"output_index\":0,\"item\":{\"type\":\"message\",\"id\":\"msg_1\",\"content\":[]}}");
		read(broken, "response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":2,"
				+ "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hello\"}");
		WireFormat.Splice splice = new ResponsesSplice(json, broken, "Hello", 10, 1);

		List<JsonNode> out = new ArrayList<>();
		for (String[] event : new String[][] {
				{ "response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_2\"}}" },
				{ "response.output_item.added", "{\"type\":\"response.output_item.added\",\"output_index\":0,"
						+ "\"item\":{\"type\":\"reasoning\",\"id\":\"rs_2\"}}" },
				{ "response.reasoning_summary_text.delta", "{\"type\":\"response.reasoning_summary_text.delta\","
						+ "\"output_index\":0,\"item_id\":\"rs_2\",\"delta\":\"thinking\"}" },
				{ "response.output_item.done", "{\"type\":\"response.output_item.done\",\"output_index\":0,"
						+ "\"item\":{\"type\":\"reasoning\",\"id\":\"rs_2\"}}" },
				{ "response.output_item.added", "{\"type\":\"response.output_item.added\",\"output_index\":1,"
						+ "\"item\":{\"type\":\"message\",\"id\":\"msg_2\",\"content\":[]}}" },
				{ "response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"output_index\":1,"
						+ "\"item_id\":\"msg_2\",\"content_index\":0,\"delta\":\" world\"}" },
				{ "response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_2\","
						+ "\"status\":\"completed\",\"output\":[{\"type\":\"reasoning\",\"id\":\"rs_2\"},{\"type\":\"message\","
						+ "\"id\":\"msg_2\",\"content\":[{\"type\":\"output_text\",\"text\":\" world\"}]}],"
						+ "\"usage\":{\"input_tokens\":12,\"output_tokens\":2}}}" } }) {
			byte[] rewritten = splice.rewrite(event(event[0], event[1]));
			if (rewritten != null) {
				String text = new String(rewritten, StandardCharsets.UTF_8);
				out.add(json.readTree(text.substring(text.indexOf("data: ") + 6)));
			}
		}

		assertThat(out).extracting(e -> e.path("type").asString())
			.containsExactly("response.output_text.delta", "response.completed");
		JsonNode delta = out.get(0);
		assertThat(delta.path("output_index").asInt()).isZero();
		assertThat(delta.path("item_id").asString()).isEqualTo("msg_1");
		assertThat(delta.path("sequence_number").asInt()).isEqualTo(3);
		JsonNode response = out.get(1).path("response");
		assertThat(response.path("id").asString()).isEqualTo("resp_1");
		assertThat(response.path("output")).hasSize(1);
		assertThat(response.path("output").get(0).path("id").asString()).isEqualTo("msg_1");
		assertThat(response.path("output").get(0).path("content").get(0).path("text").asString())
			.isEqualTo("Hello world");
		assertThat(response.path("usage").path("output_tokens").asInt()).isEqualTo(3);
	}

	private static void read(ResponsesReader reader, String type, String data) {
		reader.onEvent(event(type, data), true);
	}

	private static byte[] event(String type, String data) {
		return ("event: " + type + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
	}

	private static final class Ignoring implements AnswerSink {

		@Override
		public void text(String piece) {
		}

		@Override
		public void callsTools() {
		}

		@Override
		public void finishReason(String reason) {
		}

		@Override
		public void model(String model) {
		}

		@Override
		public void usage(long inputTokens, long outputTokens, long cachedTokens, long reasoningTokens) {
		}

		@Override
		public void reachedEnd() {
		}

		@Override
		public void inBandError(String code) {
		}

	}

}
