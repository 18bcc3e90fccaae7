package dev.spillway.gateway.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.OpenAiError;

/**
 * OpenAI's Responses API ({@code /responses}): {@code instructions} and {@code input} (a string, or a list of items:
 * messages whose content is a string or {@code input_text} / {@code input_image} / {@code input_file} parts,
 * function-call outputs, earlier outputs) in; a {@code response} object out, or a typed stream of
 * {@code event: response.*} events ending at {@code response.completed}, {@code response.incomplete} or
 * {@code response.failed}, with no {@code [DONE]}. Usage is always reported (in the JSON answer and in the terminal
 * event), so a stream needs no option to ask for it. The prompt is estimated as chat's is: the text of every
 * instruction, message and part, images at 85 / 765 tokens by detail, other items and tool definitions as their
 * JSON text.
 */
class ResponsesFormat implements WireFormat {

	private static final List<String> POSITIVE_INTEGER_FIELDS = List.of("max_output_tokens");

	private static final List<String> UNCACHEABLE_FIELDS = List.of("tools", "tool_choice", "include", "top_logprobs");

	@Override
	public OpenAiError check(ObjectNode body) {
		JsonNode input = body.get("input");
		if ((input == null || input.isNull()) && !body.hasNonNull("previous_response_id") && !body.hasNonNull("prompt")
				&& !body.hasNonNull("conversation")) {
			return OpenAiError.invalidRequest("missing_required_parameter", "'input' is required.", "input");
		}
		if (input != null && !input.isNull() && !input.isString() && !input.isArray()) {
			return OpenAiFormat.wrongType("input", "a string or an array of input items");
		}
		if (input != null && input.isArray()) {
			for (JsonNode item : input) {
				if (!item.isObject()) {
					return OpenAiFormat.wrongType("input", "an array of objects");
				}
			}
		}
		JsonNode instructions = body.get("instructions");
		if (instructions != null && !instructions.isNull() && !instructions.isString()) {
			return OpenAiFormat.wrongType("instructions", "a string");
		}
		JsonNode model = body.get("model");
		if (model != null && !model.isString()) {
			return OpenAiFormat.wrongType("model", "a string");
		}
		JsonNode stream = body.get("stream");
		if (stream != null && !stream.isBoolean() && !stream.isNull()) {
			return OpenAiFormat.wrongType("stream", "a boolean");
		}
		for (String field : POSITIVE_INTEGER_FIELDS) {
			JsonNode value = body.get(field);
			if (value != null && !value.isNull()
					&& (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1)) {
				return OpenAiFormat.wrongType(field, "a positive integer");
			}
		}
		JsonNode temperature = body.get("temperature");
		if (temperature != null && !temperature.isNull() && !temperature.isNumber()) {
			return OpenAiFormat.wrongType("temperature", "a number");
		}
		return null;
	}

	/** Usage always comes in the terminal event: nothing to ask for, nothing to hold back. */
	@Override
	public boolean clientWantsUsage(ObjectNode body) {
		return false;
	}

	@Override
	public long promptTokens(ObjectNode body, ToLongFunction<String> count) {
		long tokens = ChatCompletionsFormat.REPLY_PRIMING;
		JsonNode instructions = body.get("instructions");
		if (instructions != null && instructions.isString()) {
			tokens += ChatCompletionsFormat.TOKENS_PER_MESSAGE + count.applyAsLong(instructions.asString());
		}
		JsonNode input = body.get("input");
		if (input != null && input.isString()) {
			tokens += ChatCompletionsFormat.TOKENS_PER_MESSAGE + count.applyAsLong(input.asString());
		}
		else if (input != null && input.isArray()) {
			for (JsonNode item : input) {
				tokens += ChatCompletionsFormat.TOKENS_PER_MESSAGE + itemTokens(item, count);
			}
		}
		JsonNode tools = body.get("tools");
		if (tools != null && !tools.isNull()) {
			tokens += count.applyAsLong(tools.toString());
		}
		return tokens;
	}

	private static long itemTokens(JsonNode item, ToLongFunction<String> count) {
		String type = item.path("type").asString("message");
		if (type.equals("message") || item.has("role")) {
			JsonNode content = item.get("content");
			long tokens = count.applyAsLong(item.path("role").asString(""));
			if (content == null || content.isNull()) {
				return tokens;
			}
			if (content.isString()) {
				return tokens + count.applyAsLong(content.asString());
			}
			for (JsonNode part : content) {
				tokens += partTokens(part, count);
			}
			return tokens;
		}
		if (type.equals("function_call_output")) {
			JsonNode output = item.path("output");
			return count.applyAsLong(output.isString() ? output.asString() : output.toString());
		}
		return count.applyAsLong(item.toString());
	}

	private static long partTokens(JsonNode part, ToLongFunction<String> count) {
		String type = part.path("type").asString("");
		return switch (type) {
			case "input_text", "output_text", "text" -> count.applyAsLong(part.path("text").asString(""));
			case "input_image" -> "low".equals(part.path("detail").asString("")) ? ChatCompletionsFormat.LOW_DETAIL_IMAGE
					: ChatCompletionsFormat.HIGH_DETAIL_IMAGE;
			default -> count.applyAsLong(part.toString());
		};
	}

	/** {@code max_output_tokens}, else the default. */
	@Override
	public long outputReservation(ObjectNode body, long defaultReservation) {
		JsonNode max = body.get("max_output_tokens");
		return max != null && max.canConvertToLong() && max.asLong() > 0 ? max.asLong() : defaultReservation;
	}

	/**
	 * The last {@code lastUserMessages} user texts of {@code input} (a string input is one), the rest as context;
	 * {@code null} — never cached — for a stateful request: one the backend stores ({@code store} not {@code false}),
	 * or that continues a stored response or conversation. A cached answer therefore never hands out an id a backend
	 * knows, nor answers one chain with another's; and an input item that is not plain text is not cached either.
	 */
	@Override
	public CacheView cacheView(ObjectNode body, int lastUserMessages) {
		if (!stateless(body)) {
			return null;
		}
		JsonNode input = body.get("input");
		ObjectNode context = body.deepCopy();
		if (input != null && input.isString()) {
			context.put("input", "\u0000question");
			return new CacheView(input.asString(), context);
		}
		if (input == null || !input.isArray()) {
			return null;
		}
		List<Integer> questionAt = new ArrayList<>();
		List<String> texts = new ArrayList<>();
		for (int i = 0; i < input.size(); i++) {
			String text = plainText(input.get(i));
			if (text == null) {
				return null;
			}
			texts.add(text);
		}
		for (int i = input.size() - 1; i >= 0 && questionAt.size() < lastUserMessages; i--) {
			if ("user".equals(input.get(i).path("role").asString(""))) {
				questionAt.add(0, i);
			}
		}
		StringBuilder question = new StringBuilder();
		ArrayNode blanked = context.putArray("input");
		for (int i = 0; i < input.size(); i++) {
			if (questionAt.contains(i)) {
				question.append(question.isEmpty() ? "" : "\n").append(texts.get(i));
				blanked.add(((ObjectNode) input.get(i).deepCopy()).put("content", "\u0000question"));
			}
			else {
				blanked.add(input.get(i));
			}
		}
		return new CacheView(question.toString(), context);
	}

	/** Whether nothing of the request lives on the backend: not stored, no earlier response, no conversation. */
	private static boolean stateless(ObjectNode body) {
		return body.path("store").isBoolean() && !body.path("store").asBoolean()
				&& !body.hasNonNull("previous_response_id") && !body.hasNonNull("conversation")
				&& !body.hasNonNull("prompt") && !body.path("background").asBoolean(false);
	}

	/** A message item's text (a string content, or only text parts), else {@code null}. */
	private static String plainText(JsonNode item) {
		if (!item.isObject() || !item.path("type").asString("message").equals("message") || !item.has("role")) {
			return null;
		}
		JsonNode content = item.get("content");
		if (content != null && content.isString()) {
			return content.asString();
		}
		if (content == null || !content.isArray()) {
			return null;
		}
		StringBuilder text = new StringBuilder();
		for (JsonNode part : content) {
			String type = part.path("type").asString("");
			if (!type.equals("input_text") && !type.equals("output_text")) {
				return null;
			}
			text.append(part.path("text").asString(""));
		}
		return text.toString();
	}

	@Override
	public boolean cacheable(ObjectNode body, double maxTemperature) {
		for (String field : UNCACHEABLE_FIELDS) {
			JsonNode value = body.get(field);
			if (value != null && !value.isNull() && !(value.isArray() && value.isEmpty())) {
				return false;
			}
		}
		return stateless(body) && body.path("temperature").asDouble(1.0) <= maxTemperature;
	}

	@Override
	public ObjectNode askForStreamUsage(ObjectNode body) {
		return null;
	}

	@Override
	public AnswerReader reader(JsonMapper json, AnswerSink sink) {
		return new ResponsesReader(json, sink, true);
	}

	@Override
	public boolean streamsEndWithTerminalEvent() {
		return true;
	}

	/**
	 * The request with its input as a list ending in the partial answer as an assistant message. Only for a response
	 * the backend does not store ({@code store: false}) that continues no other and offers no tools: a stored response
	 * lives on the backend that made it, so a continuation elsewhere would leave the client an id that backend never
	 * completed.
	 */
	@Override
	public ObjectNode continuation(ObjectNode body, String partial, long streamedTokens) {
		JsonNode input = body.get("input");
		if (!body.path("stream").asBoolean(false) || body.path("store").asBoolean(true) || body.has("previous_response_id")
				|| body.has("conversation") || body.path("background").asBoolean(false) || body.has("tools")
				|| input == null || !(input.isString() || input.isArray())) {
			return null;
		}
		ObjectNode copy = body.deepCopy();
		if (!WireFormat.lessByStreamed(copy, "max_output_tokens", streamedTokens)) {
			return null;
		}
		ArrayNode items = copy.putArray("input");
		if (input.isString()) {
			items.addObject().put("role", "user").put("content", input.asString());
		}
		else {
			items.addAll(((ArrayNode) input).deepCopy());
		}
		items.addObject().put("role", "assistant").put("content", partial);
		return copy;
	}

	@Override
	public Splice splice(JsonMapper json, AnswerReader reader, String partial, long carriedPromptTokens,
			long carriedCompletionTokens) {
		// Broken before its text item opened, the client has nothing to continue after.
		return reader instanceof ResponsesReader responses && responses.responseId() != null
				&& responses.textItemId() != null
						? new ResponsesSplice(json, responses, partial, carriedPromptTokens, carriedCompletionTokens)
						: null;
	}

	/**
	 * {@code event: error} numbered after the last event relayed, then — when the client was told the response was
	 * created — {@code event: response.failed} for that response, so that a client waiting for a terminal event gets
	 * one.
	 */
	@Override
	public byte[] errorEvent(JsonMapper json, OpenAiError error, AnswerReader reader) {
		ResponsesReader read = reader instanceof ResponsesReader responses ? responses : null;
		long sequence = read == null ? 0 : read.lastSequence() + 1;
		ObjectNode errorEvent = json.createObjectNode()
			.put("type", "error")
			.put("code", error.code())
			.put("message", error.message())
			.putNull("param")
			.put("sequence_number", sequence);
		StringBuilder events = new StringBuilder(event("error", json.writeValueAsString(errorEvent)));
		if (read != null && read.responseId() != null) {
			ObjectNode failed = json.createObjectNode().put("type", "response.failed").put("sequence_number", sequence + 1);
			ObjectNode response = failed.putObject("response")
				.put("id", read.responseId())
				.put("object", "response")
				.put("status", "failed");
			if (read.model() != null) {
				response.put("model", read.model());
			}
			response.putObject("error").put("code", error.code()).put("message", error.message());
			response.putNull("usage");
			events.append(event("response.failed", json.writeValueAsString(failed)));
		}
		return events.toString().getBytes(StandardCharsets.UTF_8);
	}

	/** A kept answer as a {@code response} object with a fresh id: the kept JSON, else one rebuilt from its text. */
	@Override
	public byte[] replayJson(JsonMapper json, StoredAnswer answer) {
		String id = OpenAiFormat.newId("resp_cache_");
		if (answer.json() != null) {
			ObjectNode stored = (ObjectNode) json.readTree(answer.json());
			stored.put("id", id).put("created_at", System.currentTimeMillis() / 1000);
			return json.writeValueAsBytes(stored);
		}
		return json.writeValueAsBytes(response(json, id, answer, "completed", true));
	}

	/**
	 * {@code response.created}, {@code response.in_progress}, the message item and its text part opened, the text in
	 * {@code response.output_text.delta} events of a few tokens each, the text, part and item closed, then
	 * {@code response.completed} with the usage: numbered from 0, as a live stream is.
	 */
	@Override
	public List<byte[]> replayEvents(JsonMapper json, StoredAnswer answer, boolean includeUsage) {
		String id = OpenAiFormat.newId("resp_cache_");
		String itemId = "msg_" + id.substring("resp_".length());
		String text = answer.content() == null ? "" : answer.content();
		List<ObjectNode> events = new ArrayList<>();
		events.add(json.createObjectNode().put("type", "response.created")
			.set("response", response(json, id, answer, "in_progress", false)));
		events.add(json.createObjectNode().put("type", "response.in_progress")
			.set("response", response(json, id, answer, "in_progress", false)));
		ObjectNode openItem = json.createObjectNode().put("id", itemId).put("type", "message")
			.put("status", "in_progress").put("role", "assistant");
		openItem.putArray("content");
		events.add(json.createObjectNode().put("type", "response.output_item.added").put("output_index", 0)
			.set("item", openItem));
		ObjectNode emptyPart = json.createObjectNode().put("type", "output_text").put("text", "");
		emptyPart.putArray("annotations");
		events.add(json.createObjectNode().put("type", "response.content_part.added").put("item_id", itemId)
			.put("output_index", 0).put("content_index", 0).set("part", emptyPart));
		for (int start = 0; start < text.length();) {
			int end = Math.min(text.length(), start + ChatCompletionsFormat.CHUNK_CHARACTERS);
			if (end < text.length() && Character.isLowSurrogate(text.charAt(end))) {
				end++;
			}
			events.add(json.createObjectNode().put("type", "response.output_text.delta").put("item_id", itemId)
				.put("output_index", 0).put("content_index", 0).put("delta", text.substring(start, end)));
			start = end;
		}
		events.add(json.createObjectNode().put("type", "response.output_text.done").put("item_id", itemId)
			.put("output_index", 0).put("content_index", 0).put("text", text));
		ObjectNode done = response(json, id, answer, "completed", true);
		JsonNode item = done.path("output").get(0);
		events.add(json.createObjectNode().put("type", "response.content_part.done").put("item_id", itemId)
			.put("output_index", 0).put("content_index", 0).set("part", item.path("content").get(0)));
		events.add(json.createObjectNode().put("type", "response.output_item.done").put("output_index", 0)
			.set("item", item));
		events.add(json.createObjectNode().put("type", "response.completed").set("response", done));
		List<byte[]> frames = new ArrayList<>(events.size());
		for (int i = 0; i < events.size(); i++) {
			ObjectNode event = events.get(i).put("sequence_number", i);
			frames.add(event(event.path("type").asString(), json.writeValueAsString(event))
				.getBytes(StandardCharsets.UTF_8));
		}
		return frames;
	}

	/** A response object for a kept answer: with its message and usage when {@code finished}. */
	private static ObjectNode response(JsonMapper json, String id, StoredAnswer answer, String status,
			boolean finished) {
		ObjectNode response = json.createObjectNode()
			.put("id", id)
			.put("object", "response")
			.put("created_at", System.currentTimeMillis() / 1000)
			.put("status", status)
			.put("model", answer.model());
		response.putNull("error");
		response.putNull("incomplete_details");
		ArrayNode output = response.putArray("output");
		if (!finished) {
			response.putNull("usage");
			return response;
		}
		ObjectNode message = output.addObject()
			.put("id", "msg_" + id.substring("resp_".length()))
			.put("type", "message")
			.put("status", "completed")
			.put("role", "assistant");
		ObjectNode part = message.putArray("content").addObject().put("type", "output_text")
			.put("text", answer.content() == null ? "" : answer.content());
		part.putArray("annotations");
		ObjectNode usage = response.putObject("usage").put("input_tokens", answer.promptTokens());
		usage.putObject("input_tokens_details").put("cached_tokens", 0);
		usage.put("output_tokens", answer.completionTokens());
		usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
		usage.put("total_tokens", answer.promptTokens() + answer.completionTokens());
		return response;
	}

	private static String event(String type, String data) {
		return "event: " + type + "\ndata: " + data + "\n\n";
	}

}
