package dev.spillway.gateway.wire;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The chunks of a chat completion that continues a broken stream, as the rest of that stream: the broken stream's
 * {@code id}, {@code created}, {@code model} and {@code system_fingerprint} (of its first chunk with a choice, since
 * Azure's prompt-filter chunk has them empty); no second opening chunk (the role alone, or a prompt filter's);
 * usage summed with what the broken stream is taken to have used. Each chunk is a small tree: continuations are rare.
 */
final class ChatSplice implements WireFormat.Splice {

	private final JsonMapper json;

	private final long carriedPromptTokens;

	private final long carriedCompletionTokens;

	private String id;

	private JsonNode created;

	private String model;

	private String fingerprint;

	ChatSplice(JsonMapper json, byte[] firstChunk, long carriedPromptTokens, long carriedCompletionTokens) {
		this.json = json;
		this.carriedPromptTokens = carriedPromptTokens;
		this.carriedCompletionTokens = carriedCompletionTokens;
		ObjectNode first = firstChunk == null ? null : Events.dataObject(json, firstChunk);
		if (first != null) {
			id = named(first.path("id").asString(null));
			created = first.get("created");
			model = named(first.path("model").asString(null));
			fingerprint = named(first.path("system_fingerprint").asString(null));
		}
	}

	@Override
	public byte[] rewrite(byte[] event) {
		ObjectNode chunk = Events.dataObject(json, event);
		if (chunk == null) {
			return event;
		}
		if (id != null) {
			chunk.put("id", id);
		}
		if (created != null) {
			chunk.set("created", created);
		}
		if (model != null) {
			chunk.put("model", model);
		}
		if (fingerprint != null) {
			chunk.put("system_fingerprint", fingerprint);
		}
		JsonNode choices = chunk.path("choices");
		if (choices.size() == 1 && opensOnly(choices.get(0)) || choices.isEmpty() && !chunk.has("usage")) {
			// The continuation's opening, or its prompt-filter chunk (Azure): the client had the broken stream's.
			return null;
		}
		for (JsonNode choice : choices) {
			if (choice.path("delta") instanceof ObjectNode delta) {
				delta.remove("role");
			}
		}
		if (chunk.get("usage") instanceof ObjectNode usage) {
			long prompt = usage.path("prompt_tokens").asLong(0) + carriedPromptTokens;
			long completion = usage.path("completion_tokens").asLong(0) + carriedCompletionTokens;
			usage.put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
		}
		return OpenAiFormat.event(json, chunk);
	}

	private static String named(String value) {
		return value == null || value.isEmpty() ? null : value;
	}

	/** Whether a choice only opens the message (its role, no text, no tool call, no end): the client had that. */
	private static boolean opensOnly(JsonNode choice) {
		JsonNode delta = choice.path("delta");
		JsonNode finish = choice.path("finish_reason");
		return delta.has("role") && delta.path("content").asString("").isEmpty() && !delta.has("tool_calls")
				&& (finish.isNull() || finish.isMissingNode());
	}

}
