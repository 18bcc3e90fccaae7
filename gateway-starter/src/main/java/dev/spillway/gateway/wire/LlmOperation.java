package dev.spillway.gateway.wire;

/**
 * The API operations Spillway understands, by the path suffix both the OpenAI and the Azure form end with, each with
 * the {@link WireFormat} that reads and writes its shapes.
 */
public enum LlmOperation {

	CHAT_COMPLETIONS("chat/completions", new ChatCompletionsFormat()),

	COMPLETIONS("completions", new CompletionsFormat()),

	EMBEDDINGS("embeddings", new EmbeddingsFormat()),

	RESPONSES("responses", new ResponsesFormat()),

	/**
	 * An operation on a stored response: {@code GET} / {@code DELETE /responses/{id}},
	 * {@code POST /responses/{id}/cancel}, {@code GET /responses/{id}/input_items}; a {@code GET} may resume its
	 * stream ({@code ?stream=true&starting_after=n}).
	 */
	STORED_RESPONSE("responses", new StoredResponseFormat());

	private static final java.util.regex.Pattern STORED = java.util.regex.Pattern
		.compile(".*/(responses/[^/]+(?:/cancel|/input_items)?)$");

	private final String path;

	private final WireFormat format;

	LlmOperation(String path, WireFormat format) {
		this.path = path;
		this.format = format;
	}

	/** The path suffix, without a leading slash, e.g. {@code chat/completions}. */
	public String path() {
		return path;
	}

	/** How this operation's requests, answers and streams are read and written. */
	public WireFormat format() {
		return format;
	}

	/** Whether this is one of the Responses API's operations. */
	public boolean isResponses() {
		return this == RESPONSES || this == STORED_RESPONSE;
	}

	/**
	 * For {@link #STORED_RESPONSE}: the part of the path from {@code responses/} on (e.g.
	 * {@code responses/resp_1/cancel}); else {@code null}.
	 */
	public static String storedResponsePath(String requestPath) {
		java.util.regex.Matcher matcher = STORED.matcher(requestPath);
		return matcher.matches() ? matcher.group(1) : null;
	}

	/** The stored response's id in a {@link #STORED_RESPONSE} path, or {@code null}. */
	public static String storedResponseId(String requestPath) {
		String path = storedResponsePath(requestPath);
		return path == null ? null : path.split("/")[1];
	}

	/** The operation a request path ends with, or {@code null}. Checked longest first, so chat wins over completions. */
	public static LlmOperation fromPath(String requestPath) {
		String path = requestPath.endsWith("/") ? requestPath.substring(0, requestPath.length() - 1) : requestPath;
		if (storedResponsePath(path) != null) {
			return STORED_RESPONSE;
		}
		if (path.endsWith("/" + CHAT_COMPLETIONS.path)) {
			return CHAT_COMPLETIONS;
		}
		if (path.endsWith("/" + COMPLETIONS.path)) {
			return COMPLETIONS;
		}
		if (path.endsWith("/" + EMBEDDINGS.path)) {
			return EMBEDDINGS;
		}
		if (path.endsWith("/" + RESPONSES.path)) {
			return RESPONSES;
		}
		return null;
	}

}
