package dev.spillway.gateway.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.ToLongFunction;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
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

	// The cache serves Responses once it keys on their shapes (a later step); until then every request is a miss.
	@Override
	public CacheView cacheView(ObjectNode body, int lastUserMessages) {
		return null;
	}

	@Override
	public boolean cacheable(ObjectNode body, double maxTemperature) {
		return false;
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

	/** A kept JSON answer as it was (its id names the response the backend stored). */
	@Override
	public byte[] replayJson(JsonMapper json, StoredAnswer answer) {
		return answer.json() == null ? null : answer.json().getBytes(StandardCharsets.UTF_8);
	}

	// Rebuilding a typed stream from a kept answer comes with the cache for Responses.
	@Override
	public boolean replaysStreams() {
		return false;
	}

	@Override
	public List<byte[]> replayEvents(JsonMapper json, StoredAnswer answer, boolean includeUsage) {
		return List.of();
	}

	private static String event(String type, String data) {
		return "event: " + type + "\ndata: " + data + "\n\n";
	}

}
