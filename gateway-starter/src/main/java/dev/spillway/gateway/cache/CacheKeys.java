package dev.spillway.gateway.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.Hashes;

/**
 * The keys of one request in the cache.
 * <ul>
 * <li>{@code exact}: a hash of the effective request — scope (tenant, or shared), pool and model after routing,
 * every parameter and every message, in a canonical form (keys sorted) — without what does not change the answer
 * ({@code stream}, {@code stream_options}, {@code user}, {@code metadata}).</li>
 * <li>{@code partition}: the same hash with the last user message(s) blanked out, plus the embedding model: the
 * semantic search only compares questions asked in exactly the same context.</li>
 * <li>{@code question}: the text of the last user message(s), which is what gets embedded.</li>
 * </ul>
 *
 * @param exact hash of the whole effective request
 * @param partition hash of everything but the last user message(s)
 * @param question the text compared by meaning
 */
record CacheKeys(String exact, String partition, String question) {

	private static final Set<String> IGNORED = Set.of("stream", "stream_options", "user", "metadata", "model");

	/** The keys, or {@code null} when a message is not plain text (such requests are not cached). */
	public static CacheKeys of(String scope, String pool, String model, ObjectNode body, int lastUserMessages,
			String embeddingModel) {
		ObjectNode effective = JsonNodeFactory.instance.objectNode();
		body.properties().forEach(field -> {
			if (!IGNORED.contains(field.getKey())) {
				effective.set(field.getKey(), field.getValue());
			}
		});
		JsonNode messages = body.path("messages");
		List<Integer> questionAt = new ArrayList<>();
		for (int i = messages.size() - 1; i >= 0 && questionAt.size() < lastUserMessages; i--) {
			JsonNode message = messages.get(i);
			if (!message.path("content").isString() && !message.path("content").isNull()) {
				return null;
			}
			if ("user".equals(message.path("role").asString(""))) {
				questionAt.add(0, i);
			}
		}
		for (JsonNode message : messages) {
			if (!message.path("content").isString() && !message.path("content").isNull()) {
				return null;
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
		String context = scope + "\n" + pool + "\n" + model + "\n";
		String exact = Hashes.sha256Hex(context + canonical(effective));
		ObjectNode partition = effective.deepCopy();
		partition.set("messages", blanked);
		return new CacheKeys(exact, Hashes.sha256Hex(context + embeddingModel + "\n" + canonical(partition)), question.toString());
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
