package dev.spillway.gateway.request;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.wire.LlmOperation;

/**
 * Counts tokens with the real tokenizer (jtokkit) of the model's encoding; what a request's input is, and how it
 * is counted, is its operation's wire format's. These are estimates for admission; the answer's {@code usage}
 * settles the real amount.
 */
public class TokenCounter {

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

	/** Tokens of the request's input, counted the way its operation's wire format says. */
	public long promptTokens(Encoding encoding, LlmOperation operation, ObjectNode body) {
		return operation.format().promptTokens(body, text -> count(encoding, text));
	}

	public long count(Encoding encoding, String text) {
		return text == null || text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
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
