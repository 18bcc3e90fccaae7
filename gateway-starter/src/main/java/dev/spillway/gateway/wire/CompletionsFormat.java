package dev.spillway.gateway.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.OpenAiError;

/** Legacy completions ({@code /completions}): a {@code prompt} in, {@code choices[].text} out. Not cached. */
final class CompletionsFormat extends OpenAiFormat {

	@Override
	OpenAiError checkInput(ObjectNode body) {
		return body.has("prompt") ? null : missing("prompt", "'prompt' is required.");
	}

	@Override
	public long promptTokens(ObjectNode body, ToLongFunction<String> count) {
		return textOrTokens(body.get("prompt"), count);
	}

	@Override
	public byte[] replayJson(JsonMapper json, StoredAnswer answer) {
		if (answer.json() != null) {
			ObjectNode stored = (ObjectNode) json.readTree(answer.json());
			stored.put("id", newId("cmpl-replay-")).put("created", System.currentTimeMillis() / 1000);
			return json.writeValueAsBytes(stored);
		}
		ObjectNode reply = completion(json, answer.model());
		reply.putArray("choices").addObject().put("index", 0).put("text", answer.content())
			.put("finish_reason", answer.finishReason());
		usage(reply, answer);
		return json.writeValueAsBytes(reply);
	}

	@Override
	public List<byte[]> replayEvents(JsonMapper json, StoredAnswer answer, boolean includeUsage) {
		List<byte[]> events = new ArrayList<>();
		ObjectNode text = completion(json, answer.model());
		text.putArray("choices").addObject().put("index", 0).put("text", answer.content() == null ? "" : answer.content())
			.putNull("finish_reason");
		events.add(event(json, text));
		ObjectNode finish = completion(json, answer.model());
		finish.putArray("choices").addObject().put("index", 0).put("text", "")
			.put("finish_reason", answer.finishReason() == null ? "stop" : answer.finishReason());
		events.add(event(json, finish));
		if (includeUsage) {
			ObjectNode usage = completion(json, answer.model());
			usage.putArray("choices");
			usage(usage, answer);
			events.add(event(json, usage));
		}
		events.add(done());
		return events;
	}

	private static ObjectNode completion(JsonMapper json, String model) {
		return json.createObjectNode()
			.put("id", newId("cmpl-replay-"))
			.put("object", "text_completion")
			.put("created", System.currentTimeMillis() / 1000)
			.put("model", model);
	}

}
