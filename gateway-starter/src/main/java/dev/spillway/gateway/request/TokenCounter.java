package dev.spillway.gateway.request;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Counts tokens the way OpenAI bills them, with the real tokenizer (jtokkit) of the model's encoding.
 * <p>
 * A chat prompt counts, per OpenAI's published method, 3 tokens per message plus the tokens of every field value
 * (role, content, name), 1 more per {@code name}, and 3 that prime the reply. Images count 85 tokens at
 * {@code detail: low} and 765 otherwise (one high-detail 1024×1024 image); tool definitions and tool calls count
 * as their JSON text. These are estimates for admission; the answer's {@code usage} settles the real amount.
 */
public class TokenCounter {

	static final int TOKENS_PER_MESSAGE = 3;

	static final int TOKENS_PER_NAME = 1;

	static final int REPLY_PRIMING = 3;

	static final int LOW_DETAIL_IMAGE = 85;

	static final int HIGH_DETAIL_IMAGE = 765;

	private static final Map<String, EncodingType> BUILT_IN = builtIn();

	private final EncodingRegistry registry = Encodings.newLazyEncodingRegistry();

	private final List<Map.Entry<String, EncodingType>> prefixes;

	/** @param encodings model-name prefix → encoding name, consulted before the built-in rules */
	public TokenCounter(Map<String, String> encodings) {
		Map<String, EncodingType> all = new LinkedHashMap<>(BUILT_IN);
		encodings.forEach((prefix, name) -> all.put(prefix, type(name)));
		this.prefixes = all.entrySet()
			.stream()
			.sorted(Comparator.comparingInt((Map.Entry<String, EncodingType> e) -> e.getKey().length()).reversed())
			.toList();
	}

	/** The encoding for a pool ({@code poolEncoding} if set) and model name. */
	public Encoding encoding(String poolEncoding, String model) {
		if (poolEncoding != null) {
			return registry.getEncoding(type(poolEncoding));
		}
		if (model != null) {
			for (Map.Entry<String, EncodingType> prefix : prefixes) {
				if (model.startsWith(prefix.getKey())) {
					return registry.getEncoding(prefix.getValue());
				}
			}
		}
		return registry.getEncoding(EncodingType.CL100K_BASE);
	}

	/** Tokens of the request's input: chat messages, completion prompt or embedding input. */
	public long promptTokens(Encoding encoding, LlmOperation operation, ObjectNode body) {
		return switch (operation) {
			case CHAT_COMPLETIONS -> chatTokens(encoding, body);
			case COMPLETIONS -> textOrArrayTokens(encoding, body.get("prompt"));
			case EMBEDDINGS -> textOrArrayTokens(encoding, body.get("input"));
		};
	}

	/** Completion tokens a request reserves: its {@code max_completion_tokens} or {@code max_tokens}, times {@code n}. */
	public static long completionReservation(LlmOperation operation, ObjectNode body, long defaultReservation) {
		if (operation == LlmOperation.EMBEDDINGS) {
			return 0;
		}
		JsonNode max = body.has("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
		long perChoice = max != null && max.canConvertToLong() && max.asLong() > 0 ? max.asLong() : defaultReservation;
		JsonNode n = body.get("n");
		long choices = n != null && n.canConvertToInt() && n.asInt() > 1 ? n.asInt() : 1;
		return perChoice * choices;
	}

	public long count(Encoding encoding, String text) {
		return text == null || text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
	}

	private long chatTokens(Encoding encoding, ObjectNode body) {
		long tokens = REPLY_PRIMING;
		for (JsonNode message : body.path("messages")) {
			tokens += TOKENS_PER_MESSAGE;
			for (Map.Entry<String, JsonNode> field : message.properties()) {
				JsonNode value = field.getValue();
				switch (field.getKey()) {
					case "content" -> tokens += contentTokens(encoding, value);
					case "name" -> tokens += TOKENS_PER_NAME + count(encoding, value.asString(""));
					default -> tokens += value.isString() ? count(encoding, value.asString())
							: value.isNull() ? 0 : count(encoding, value.toString());
				}
			}
		}
		JsonNode tools = body.get("tools");
		if (tools != null && !tools.isNull()) {
			tokens += count(encoding, tools.toString());
		}
		JsonNode functions = body.get("functions");
		if (functions != null && !functions.isNull()) {
			tokens += count(encoding, functions.toString());
		}
		return tokens;
	}

	private long contentTokens(Encoding encoding, JsonNode content) {
		if (content == null || content.isNull()) {
			return 0;
		}
		if (content.isString()) {
			return count(encoding, content.asString());
		}
		long tokens = 0;
		for (JsonNode part : content) {
			String type = part.path("type").asString("");
			if (type.equals("text")) {
				tokens += count(encoding, part.path("text").asString(""));
			}
			else if (type.equals("image_url")) {
				tokens += "low".equals(part.path("image_url").path("detail").asString("")) ? LOW_DETAIL_IMAGE
						: HIGH_DETAIL_IMAGE;
			}
			else {
				tokens += count(encoding, part.toString());
			}
		}
		return tokens;
	}

	private long textOrArrayTokens(Encoding encoding, JsonNode input) {
		if (input == null || input.isNull()) {
			return 0;
		}
		if (input.isString()) {
			return count(encoding, input.asString());
		}
		long tokens = 0;
		for (JsonNode item : input) {
			if (item.isString()) {
				tokens += count(encoding, item.asString());
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

	private static EncodingType type(String name) {
		return EncodingType.fromName(name).orElseThrow(() -> new IllegalArgumentException("Unknown encoding " + name));
	}

	private static Map<String, EncodingType> builtIn() {
		Map<String, EncodingType> rules = new LinkedHashMap<>();
		for (String prefix : List.of("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")) {
			rules.put(prefix, EncodingType.O200K_BASE);
		}
		return rules;
	}

}
