package dev.spillway.gateway.wire;

/**
 * The API operations Spillway understands, by the path suffix both the OpenAI and the Azure form end with, each with
 * the {@link WireFormat} that reads and writes its shapes.
 */
public enum LlmOperation {

	CHAT_COMPLETIONS("chat/completions", new ChatCompletionsFormat()),

	COMPLETIONS("completions", new CompletionsFormat()),

	EMBEDDINGS("embeddings", new EmbeddingsFormat()),

	RESPONSES("responses", new ResponsesFormat());

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

	/** The operation a request path ends with, or {@code null}. Checked longest first, so chat wins over completions. */
	public static LlmOperation fromPath(String requestPath) {
		String path = requestPath.endsWith("/") ? requestPath.substring(0, requestPath.length() - 1) : requestPath;
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
