package dev.spillway.gateway.wire;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Reading the lines of one Server-Sent Event, as bytes. */
final class Events {

	private Events() {
	}

	/** Index of the value after {@code data:} (and its spaces) in an event, or -1 when it has no data line. */
	static int dataStart(byte[] event) {
		return valueStart(event, DATA);
	}

	/** Index of the value after {@code event:} (and its spaces), or -1 when the event names no type. */
	static int typeStart(byte[] event) {
		return valueStart(event, TYPE);
	}

	/** The event's {@code data:} value as a JSON object, or {@code null} when it has none or it is not an object. */
	static ObjectNode dataObject(JsonMapper json, byte[] event) {
		int start = dataStart(event);
		if (start < 0 || event[start] != '{') {
			return null;
		}
		try {
			return json.readTree(event, start, event.length - start) instanceof ObjectNode object ? object : null;
		}
		catch (JacksonException malformed) {
			return null;
		}
	}

	/** Whether {@code event} holds {@code prefix} at {@code at}. */
	static boolean startsWith(byte[] event, int at, byte[] prefix) {
		if (at < 0 || event.length - at < prefix.length) {
			return false;
		}
		for (int i = 0; i < prefix.length; i++) {
			if (event[at + i] != prefix[i]) {
				return false;
			}
		}
		return true;
	}

	/** The line's value starting at {@code at}, up to its end. */
	static String lineAt(byte[] event, int at) {
		int end = at;
		while (end < event.length && event[end] != '\n' && event[end] != '\r') {
			end++;
		}
		return new String(event, at, end - at, java.nio.charset.StandardCharsets.UTF_8);
	}

	private static final byte[] DATA = { 'd', 'a', 't', 'a', ':' };

	private static final byte[] TYPE = { 'e', 'v', 'e', 'n', 't', ':' };

	private static int valueStart(byte[] event, byte[] field) {
		int line = 0;
		while (line < event.length) {
			while (line < event.length && (event[line] == '\n' || event[line] == '\r')) {
				line++;
			}
			if (startsWith(event, line, field)) {
				int at = line + field.length;
				while (at < event.length && event[at] == ' ') {
					at++;
				}
				return at < event.length ? at : -1;
			}
			while (line < event.length && event[line] != '\n' && event[line] != '\r') {
				line++;
			}
		}
		return -1;
	}

}
