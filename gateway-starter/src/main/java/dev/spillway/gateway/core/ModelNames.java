package dev.spillway.gateway.core;

/**
 * What a model or deployment name may contain. A name reaches a backend (in the body or the URL path), a response
 * header and the request log, so control characters (which forge log lines and break headers) and overlong names
 * are refused everywhere. A name that becomes an Azure deployment path segment must also stay one segment: no
 * {@code /}, {@code \}, {@code %}, and not {@code .} or {@code ..}. A body {@code model} may otherwise hold what
 * OpenAI-compatible servers use, e.g. {@code ft:gpt-4o:org::id} or {@code meta-llama/Llama-3-8B}.
 */
public final class ModelNames {

	/** Longest accepted name, in characters. */
	public static final int MAX_LENGTH = 256;

	private ModelNames() {
	}

	/** Why {@code name} cannot be a body {@code model}, or {@code null} when it can. */
	public static String modelProblem(String name) {
		if (name == null || name.isBlank()) {
			return "must not be blank";
		}
		if (name.length() > MAX_LENGTH) {
			return "must be at most " + MAX_LENGTH + " characters";
		}
		for (int i = 0; i < name.length(); i++) {
			if (isControl(name.charAt(i))) {
				return "must not contain control characters";
			}
		}
		return null;
	}

	/** Why {@code name} cannot be an Azure deployment path segment, or {@code null} when it can. */
	public static String deploymentProblem(String name) {
		String problem = modelProblem(name);
		if (problem != null) {
			return problem;
		}
		if (name.equals(".") || name.equals("..")) {
			return "must not be '.' or '..'";
		}
		for (int i = 0; i < name.length(); i++) {
			char c = name.charAt(i);
			if (c == '/' || c == '\\' || c == '%') {
				return "must not contain '/', '\\' or '%'";
			}
		}
		return null;
	}

	/** A name as it may appear in a log line: control characters (and quotes, backslashes) escaped, length capped. */
	public static String forLog(String value) {
		if (value == null) {
			return null;
		}
		boolean clean = value.length() <= MAX_LENGTH;
		for (int i = 0; clean && i < value.length(); i++) {
			char c = value.charAt(i);
			clean = !isControl(c) && c != '\\' && c != '"' && c != ' ';
		}
		if (clean) {
			return value;
		}
		StringBuilder escaped = new StringBuilder("\"");
		int end = Math.min(value.length(), MAX_LENGTH);
		for (int i = 0; i < end; i++) {
			char c = value.charAt(i);
			switch (c) {
				case '\n' -> escaped.append("\\n");
				case '\r' -> escaped.append("\\r");
				case '\t' -> escaped.append("\\t");
				case '"' -> escaped.append("\\\"");
				case '\\' -> escaped.append("\\\\");
				default -> {
					if (isControl(c)) {
						escaped.append(String.format("\\u%04x", (int) c));
					}
					else {
						escaped.append(c);
					}
				}
			}
		}
		if (end < value.length()) {
			escaped.append("...");
		}
		return escaped.append('"').toString();
	}

	private static boolean isControl(char c) {
		// C0, DEL, C1, and the Unicode line and paragraph separators that some log viewers break lines at.
		return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
	}

}
