package dev.spillway.gateway.request;

/** The API operations Spillway understands, by the path suffix both the OpenAI and the Azure form end with. */
public enum LlmOperation {

	CHAT_COMPLETIONS("chat/completions"),

	COMPLETIONS("completions"),

	EMBEDDINGS("embeddings");

	private final String path;

	LlmOperation(String path) {
		this.path = path;
	}

	/** The path suffix, without a leading slash, e.g. {@code chat/completions}. */
	public String path() {
		return path;
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
		return null;
	}

}
