package dev.spillway.gateway.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.OpenAiError;

/**
 * Chat completions ({@code /chat/completions}). A prompt counts, per OpenAI's published method, 3 tokens per message
 * plus the tokens of every field value (role, content, name), 1 more per {@code name}, and 3 that prime the reply;
 * images count 85 tokens at {@code detail: low} and 765 otherwise (one high-detail 1024×1024 image); tool
 * definitions count as their JSON text. Estimates for admission; the answer's {@code usage} settles the real amount.
 */
final class ChatCompletionsFormat extends OpenAiFormat {

	static final int TOKENS_PER_MESSAGE = 3;

	static final int TOKENS_PER_NAME = 1;

	static final int REPLY_PRIMING = 3;

	static final int LOW_DETAIL_IMAGE = 85;

	static final int HIGH_DETAIL_IMAGE = 765;

	/** Content characters per replayed chunk (about a few tokens, as a live stream sends them). */
	static final int CHUNK_CHARACTERS = 16;

	private static final List<String> UNCACHEABLE_FIELDS = List.of("tools", "functions", "tool_choice",
			"function_call", "logprobs", "top_logprobs");

	@Override
	OpenAiError checkInput(ObjectNode body) {
		JsonNode messages = body.get("messages");
		if (messages == null || !messages.isArray() || messages.isEmpty()) {
			return missing("messages", "'messages' is required and must be a non-empty array.");
		}
		for (JsonNode message : messages) {
			if (!message.isObject() || !message.path("role").isString()) {
				return OpenAiError.invalidRequest("invalid_type", "Each message must be an object with a string 'role'.",
						"messages");
			}
		}
		return null;
	}

	@Override
	public long promptTokens(ObjectNode body, ToLongFunction<String> count) {
		long tokens = REPLY_PRIMING;
		for (JsonNode message : body.path("messages")) {
			tokens += TOKENS_PER_MESSAGE;
			for (Map.Entry<String, JsonNode> field : message.properties()) {
				JsonNode value = field.getValue();
				switch (field.getKey()) {
					case "content" -> tokens += contentTokens(value, count);
					case "name" -> tokens += TOKENS_PER_NAME + count.applyAsLong(value.asString(""));
					default -> tokens += value.isString() ? count.applyAsLong(value.asString())
							: value.isNull() ? 0 : count.applyAsLong(value.toString());
				}
			}
		}
		for (String definitions : List.of("tools", "functions")) {
			JsonNode value = body.get(definitions);
			if (value != null && !value.isNull()) {
				tokens += count.applyAsLong(value.toString());
			}
		}
		return tokens;
	}

	private static long contentTokens(JsonNode content, ToLongFunction<String> count) {
		if (content == null || content.isNull()) {
			return 0;
		}
		if (content.isString()) {
			return count.applyAsLong(content.asString());
		}
		long tokens = 0;
		for (JsonNode part : content) {
			String type = part.path("type").asString("");
			if (type.equals("text")) {
				tokens += count.applyAsLong(part.path("text").asString(""));
			}
			else if (type.equals("image_url")) {
				tokens += "low".equals(part.path("image_url").path("detail").asString("")) ? LOW_DETAIL_IMAGE
						: HIGH_DETAIL_IMAGE;
			}
			else {
				tokens += count.applyAsLong(part.toString());
			}
		}
		return tokens;
	}

	@Override
	public CacheView cacheView(ObjectNode body, int lastUserMessages) {
		JsonNode messages = body.path("messages");
		for (JsonNode message : messages) {
			if (!message.path("content").isString() && !message.path("content").isNull()) {
				return null;
			}
		}
		List<Integer> questionAt = new ArrayList<>();
		for (int i = messages.size() - 1; i >= 0 && questionAt.size() < lastUserMessages; i--) {
			if ("user".equals(messages.get(i).path("role").asString(""))) {
				questionAt.add(0, i);
			}
		}
		StringBuilder question = new StringBuilder();
		ArrayNode blanked = JsonNodeFactory.instance.arrayNode();
		for (int i = 0; i < messages.size(); i++) {
			if (questionAt.contains(i)) {
				question.append(question.isEmpty() ? "" : "\n").append(messages.get(i).path("content").asString(""));
				blanked.add(((ObjectNode) messages.get(i).deepCopy()).put("content", "\u0000question"));
			}
			else {
				blanked.add(messages.get(i));
			}
		}
		ObjectNode context = body.deepCopy();
		context.set("messages", blanked);
		return new CacheView(question.toString(), context);
	}

	@Override
	public boolean cacheable(ObjectNode body, double maxTemperature) {
		for (String field : UNCACHEABLE_FIELDS) {
			JsonNode value = body.get(field);
			if (value != null && !value.isNull() && !(value.isBoolean() && !value.asBoolean())) {
				return false;
			}
		}
		if (body.path("n").asInt(1) > 1) {
			return false;
		}
		return body.path("temperature").asDouble(1.0) <= maxTemperature;
	}

	@Override
	public byte[] replayJson(JsonMapper json, StoredAnswer answer) {
		long created = System.currentTimeMillis() / 1000;
		String id = newId("chatcmpl-cache-");
		if (answer.json() != null) {
			ObjectNode stored = (ObjectNode) json.readTree(answer.json());
			stored.put("id", id).put("created", created);
			return json.writeValueAsBytes(stored);
		}
		ObjectNode reply = json.createObjectNode();
		reply.put("id", id).put("object", "chat.completion").put("created", created).put("model", answer.model());
		ObjectNode choice = reply.putArray("choices").addObject();
		choice.put("index", 0);
		choice.putObject("message").put("role", "assistant").put("content", answer.content());
		choice.put("finish_reason", answer.finishReason());
		usage(reply, answer);
		return json.writeValueAsBytes(reply);
	}

	/**
	 * A role chunk, the content in several chunks, a finish chunk, a usage chunk if the client asked for usage, and
	 * {@code data: [DONE]}.
	 */
	/**
	 * The request with the partial answer as a last assistant message, which OpenAI-compatible models continue (a
	 * different sample: the rest may not follow word for word what one uncut answer would have said). Not for several
	 * choices, log-probabilities, or tools offered (a continuation might call one after text).
	 */
	@Override
	public ObjectNode continuation(ObjectNode body, String partial, long streamedTokens) {
		if (!body.path("stream").asBoolean(false) || body.path("n").asInt(1) != 1 || body.path("logprobs").asBoolean(false)
				|| body.has("tools") || body.has("functions") || !body.path("messages").isArray()) {
			return null;
		}
		ObjectNode copy = body.deepCopy();
		if (!WireFormat.lessByStreamed(copy, "max_tokens", streamedTokens)
				|| !WireFormat.lessByStreamed(copy, "max_completion_tokens", streamedTokens)) {
			return null;
		}
		((ArrayNode) copy.get("messages")).addObject().put("role", "assistant").put("content", partial);
		return copy;
	}

	@Override
	public Splice splice(JsonMapper json, AnswerReader reader, String partial, long carriedPromptTokens,
			long carriedCompletionTokens) {
		byte[] first = reader instanceof OpenAiReader openAi ? openAi.firstChunk() : null;
		// Broken before its first choice, the client has no opening to continue after.
		return first == null ? null : new ChatSplice(json, first, carriedPromptTokens, carriedCompletionTokens);
	}

	@Override
	public List<byte[]> replayEvents(JsonMapper json, StoredAnswer answer, boolean includeUsage) {
		long created = System.currentTimeMillis() / 1000;
		String id = newId("chatcmpl-cache-");
		List<byte[]> events = new ArrayList<>();
		ObjectNode role = chunk(json, id, created, answer.model());
		ObjectNode roleChoice = role.putArray("choices").addObject().put("index", 0);
		roleChoice.putObject("delta").put("role", "assistant").put("content", "");
		roleChoice.putNull("finish_reason");
		events.add(event(json, role));
		String content = answer.content() == null ? "" : answer.content();
		for (int start = 0; start < content.length();) {
			int end = Math.min(content.length(), start + CHUNK_CHARACTERS);
			if (end < content.length() && Character.isLowSurrogate(content.charAt(end))) {
				end++;
			}
			ObjectNode piece = chunk(json, id, created, answer.model());
			ObjectNode choice = piece.putArray("choices").addObject().put("index", 0);
			choice.putObject("delta").put("content", content.substring(start, end));
			choice.putNull("finish_reason");
			events.add(event(json, piece));
			start = end;
		}
		ObjectNode finish = chunk(json, id, created, answer.model());
		ObjectNode finishChoice = finish.putArray("choices").addObject().put("index", 0);
		finishChoice.putObject("delta");
		finishChoice.put("finish_reason", answer.finishReason() == null ? "stop" : answer.finishReason());
		events.add(event(json, finish));
		if (includeUsage) {
			ObjectNode usage = chunk(json, id, created, answer.model());
			usage.putArray("choices");
			usage(usage, answer);
			events.add(event(json, usage));
		}
		events.add(done());
		return events;
	}

	private static ObjectNode chunk(JsonMapper json, String id, long created, String model) {
		return json.createObjectNode()
			.put("id", id)
			.put("object", "chat.completion.chunk")
			.put("created", created)
			.put("model", model);
	}

}
