package dev.spillway.gateway.cache;

import java.util.Set;
import java.util.TreeMap;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.Hashes;
import dev.spillway.gateway.wire.WireFormat;

/**
 * The keys of one request in the cache.
 * <ul>
 * <li>{@code exact}: a hash of the effective request — scope (tenant, or shared), pool and model after routing,
 * every parameter and every message, in a canonical form (keys sorted) — without what does not change the answer
 * ({@code stream}, {@code stream_options}, {@code user}, {@code metadata}), and with the question's prose
 * {@linkplain QuestionText#normalised normalised} (case, whitespace, final punctuation).</li>
 * <li>{@code partition}: the same hash with the question blanked out, plus the embedding model: the semantic search
 * only compares questions asked in exactly the same context.</li>
 * <li>{@code question}: the text of the last user input(s), which is what gets embedded.</li>
 * </ul>
 * The question and its context are the operation's {@link WireFormat#cacheView}.
 *
 * @param exact hash of the whole effective request
 * @param partition hash of everything but the last user message(s)
 * @param question the text compared by meaning
 */
record CacheKeys(String exact, String partition, String question) {

	private static final Set<String> IGNORED = Set.of("stream", "stream_options", "user", "metadata", "model");

	/** The keys, or {@code null} when a message is not plain text (such requests are not cached). */
	public static CacheKeys of(String scope, String pool, String model, WireFormat format, ObjectNode body,
			int lastUserMessages, String embeddingModel) {
		WireFormat.CacheView view = format.cacheView(body, lastUserMessages);
		if (view == null) {
			return null;
		}
		String context = scope + "\n" + pool + "\n" + model + "\n";
		String rest = canonical(effective(view.context()));
		String exact = Hashes.sha256Hex(context + rest + "\n" + QuestionText.normalised(view.question()));
		String partition = Hashes.sha256Hex(context + embeddingModel + "\n" + rest);
		return new CacheKeys(exact, partition, view.question());
	}

	/** The request without what does not change the answer. */
	private static ObjectNode effective(ObjectNode body) {
		ObjectNode effective = JsonNodeFactory.instance.objectNode();
		body.properties().forEach(field -> {
			if (!IGNORED.contains(field.getKey())) {
				effective.set(field.getKey(), field.getValue());
			}
		});
		return effective;
	}

	/** JSON with every object's keys sorted, so the same request always hashes the same. */
	static String canonical(JsonNode node) {
		StringBuilder out = new StringBuilder();
		write(node, out);
		return out.toString();
	}

	private static void write(JsonNode node, StringBuilder out) {
		if (node.isObject()) {
			TreeMap<String, JsonNode> sorted = new TreeMap<>();
			node.properties().forEach(e -> sorted.put(e.getKey(), e.getValue()));
			out.append('{');
			boolean first = true;
			for (var entry : sorted.entrySet()) {
				if (!first) {
					out.append(',');
				}
				first = false;
				out.append(JsonNodeFactory.instance.stringNode(entry.getKey()).toString()).append(':');
				write(entry.getValue(), out);
			}
			out.append('}');
		}
		else if (node.isArray()) {
			out.append('[');
			for (int i = 0; i < node.size(); i++) {
				if (i > 0) {
					out.append(',');
				}
				write(node.get(i), out);
			}
			out.append(']');
		}
		else {
			out.append(node.toString());
		}
	}

}
