package dev.spillway.gateway.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.function.ToLongFunction;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;

/**
 * What OpenAI's chat completions, completions and embeddings share: the parameters every one of them checks, the
 * {@code stream_options.include_usage} option, answers read by {@link OpenAiReader}, and a failed stream ended with
 * {@code data: {"error":{...}}}, as OpenAI ends one.
 */
abstract class OpenAiFormat implements WireFormat {

	private static final List<String> POSITIVE_INTEGER_FIELDS = List.of("max_tokens", "max_completion_tokens", "n");

	/** The operation's own required fields: what is wrong with them, or {@code null}. */
	abstract OpenAiError checkInput(ObjectNode body);

	@Override
	public OpenAiError check(ObjectNode body) {
		OpenAiError input = checkInput(body);
		if (input != null) {
			return input;
		}
		JsonNode model = body.get("model");
		if (model != null && !model.isString()) {
			return wrongType("model", "a string");
		}
		JsonNode stream = body.get("stream");
		if (stream != null && !stream.isBoolean() && !stream.isNull()) {
			return wrongType("stream", "a boolean");
		}
		JsonNode streamOptions = body.get("stream_options");
		if (streamOptions != null && !streamOptions.isObject() && !streamOptions.isNull()) {
			return wrongType("stream_options", "an object");
		}
		for (String field : POSITIVE_INTEGER_FIELDS) {
			JsonNode value = body.get(field);
			if (value != null && !value.isNull() && (!value.canConvertToInt() || !value.isIntegralNumber()
					|| value.asInt() < 1)) {
				return wrongType(field, "a positive integer");
			}
		}
		JsonNode temperature = body.get("temperature");
		if (temperature != null && !temperature.isNull() && !temperature.isNumber()) {
			return wrongType("temperature", "a number");
		}
		return null;
	}

	static OpenAiError wrongType(String field, String expected) {
		return OpenAiError.invalidRequest("invalid_type", "'" + field + "' must be " + expected + ".", field);
	}

	static OpenAiError missing(String field, String message) {
		return OpenAiError.invalidRequest("missing_required_parameter", message, field);
	}

	@Override
	public boolean clientWantsUsage(ObjectNode body) {
		return stream(body) && body.path("stream_options").path("include_usage").asBoolean(false);
	}

	/** Output cap: {@code max_completion_tokens}, else {@code max_tokens}, else the default; times {@code n}. */
	@Override
	public long outputReservation(ObjectNode body, long defaultReservation) {
		JsonNode max = body.has("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
		long perChoice = max != null && max.canConvertToLong() && max.asLong() > 0 ? max.asLong() : defaultReservation;
		JsonNode n = body.get("n");
		long choices = n != null && n.canConvertToInt() && n.asInt() > 1 ? n.asInt() : 1;
		return perChoice * choices;
	}

	@Override
	public ObjectNode askForStreamUsage(ObjectNode body) {
		if (!stream(body) || clientWantsUsage(body)) {
			return null;
		}
		ObjectNode copy = body.deepCopy();
		JsonNode options = copy.get("stream_options");
		ObjectNode streamOptions = options != null && options.isObject() ? (ObjectNode) options
				: copy.putObject("stream_options");
		streamOptions.put("include_usage", true);
		return copy;
	}

	@Override
	public AnswerReader reader(JsonMapper json, AnswerSink sink) {
		return new OpenAiReader(json, sink);
	}

	@Override
	public boolean streamsEndWithTerminalEvent() {
		return true;
	}

	@Override
	public byte[] errorEvent(JsonMapper json, OpenAiError error, AnswerReader reader) {
		return ("data: " + new String(ErrorResponses.body(error), StandardCharsets.UTF_8) + "\n\n")
			.getBytes(StandardCharsets.UTF_8);
	}

	@Override
	public CacheView cacheView(ObjectNode body, int lastUserMessages) {
		return null;
	}

	@Override
	public boolean cacheable(ObjectNode body, double maxTemperature) {
		return false;
	}

	/** Tokens of a string, or of an array of strings and token arrays (a token counts one). */
	static long textOrTokens(JsonNode input, ToLongFunction<String> count) {
		if (input == null || input.isNull()) {
			return 0;
		}
		if (input.isString()) {
			return count.applyAsLong(input.asString());
		}
		long tokens = 0;
		for (JsonNode item : input) {
			if (item.isString()) {
				tokens += count.applyAsLong(item.asString());
			}
			else if (item.isArray()) {
				tokens += item.size();
			}
			else if (item.isNumber()) {
				tokens += 1;
			}
		}
		return tokens;
	}

	static String newId(String prefix) {
		return prefix + UUID.randomUUID().toString().replace("-", "");
	}

	static byte[] event(JsonMapper json, ObjectNode chunk) {
		return ("data: " + json.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8);
	}

	static byte[] done() {
		return "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
	}

	static void usage(ObjectNode node, StoredAnswer answer) {
		node.putObject("usage")
			.put("prompt_tokens", answer.promptTokens())
			.put("completion_tokens", answer.completionTokens())
			.put("total_tokens", answer.promptTokens() + answer.completionTokens());
	}

}
