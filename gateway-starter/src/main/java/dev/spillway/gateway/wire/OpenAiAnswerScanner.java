package dev.spillway.gateway.wire;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a chat completion, a legacy completion or an embeddings answer — a whole JSON body or one streamed chunk —
 * token by token, without building a tree: the model, each choice's text (content, legacy text, tool-call
 * arguments) and finish reason, the usage, an in-band error. Everything else (an embedding's numbers, logprobs,
 * content-filter results) is skipped unread.
 */
final class OpenAiAnswerScanner {

	/** What one scanned object held. */
	record Facts(boolean usage, int choices, boolean error, boolean whole) {

		static final Facts NONE = new Facts(false, -1, false, false);

	}

	private OpenAiAnswerScanner() {
	}

	/** Scans the JSON object at {@code offset}; malformed JSON yields what was read before it went wrong. */
	static Facts scan(JsonMapper json, byte[] bytes, int offset, int length, AnswerSink sink) {
		boolean usage = false;
		boolean error = false;
		boolean whole = false;
		int choices = -1;
		try (JsonParser parser = json.createParser(bytes, offset, length)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				return Facts.NONE;
			}
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				switch (name) {
					case "model" -> {
						if (value == JsonToken.VALUE_STRING) {
							sink.model(parser.getString());
						}
					}
					case "usage" -> usage = value == JsonToken.START_OBJECT ? usage(parser, sink) : skip(parser);
					case "choices" -> choices = value == JsonToken.START_ARRAY ? choices(parser, sink) : skipCount(parser);
					case "error" -> error = value == JsonToken.START_OBJECT ? error(parser, sink) : skip(parser);
					default -> parser.skipChildren();
				}
			}
			whole = parser.currentToken() == JsonToken.END_OBJECT && parser.nextToken() == null;
		}
		catch (JacksonException malformed) {
			// What was read stands; the rest is no answer.
		}
		return new Facts(usage, choices, error, whole);
	}

	private static int choices(JsonParser parser, AnswerSink sink) {
		int count = 0;
		while (parser.nextToken() == JsonToken.START_OBJECT) {
			count++;
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				if ((name.equals("delta") || name.equals("message")) && value == JsonToken.START_OBJECT) {
					message(parser, sink);
				}
				else if (name.equals("text") && value == JsonToken.VALUE_STRING) {
					sink.text(parser.getString());
				}
				else if (name.equals("finish_reason") && value == JsonToken.VALUE_STRING) {
					sink.finishReason(parser.getString());
				}
				else {
					parser.skipChildren();
				}
			}
		}
		return count;
	}

	private static void message(JsonParser parser, AnswerSink sink) {
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			if (name.equals("content") && value == JsonToken.VALUE_STRING) {
				sink.text(parser.getString());
			}
			else if (name.equals("tool_calls") && value == JsonToken.START_ARRAY) {
				toolCalls(parser, sink);
			}
			else {
				parser.skipChildren();
			}
		}
	}

	private static void toolCalls(JsonParser parser, AnswerSink sink) {
		while (parser.nextToken() == JsonToken.START_OBJECT) {
			sink.callsTools();
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				if (name.equals("function") && value == JsonToken.START_OBJECT) {
					while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
						String field = parser.currentName();
						JsonToken arguments = parser.nextToken();
						if (field.equals("arguments") && arguments == JsonToken.VALUE_STRING) {
							sink.text(parser.getString());
						}
						else {
							parser.skipChildren();
						}
					}
				}
				else {
					parser.skipChildren();
				}
			}
		}
	}

	private static boolean usage(JsonParser parser, AnswerSink sink) {
		long prompt = -1;
		long completion = -1;
		long total = -1;
		long cached = -1;
		long reasoning = -1;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			switch (name) {
				case "prompt_tokens" -> prompt = number(parser, value);
				case "completion_tokens" -> completion = number(parser, value);
				case "total_tokens" -> total = number(parser, value);
				case "prompt_tokens_details" -> cached = detail(parser, value, "cached_tokens");
				case "completion_tokens_details" -> reasoning = detail(parser, value, "reasoning_tokens");
				default -> parser.skipChildren();
			}
		}
		if (prompt < 0) {
			return false;
		}
		if (completion < 0) {
			completion = total >= 0 ? Math.max(0, total - prompt) : 0;
		}
		sink.usage(prompt, completion, cached, reasoning);
		return true;
	}

	/** A number inside a details object (e.g. {@code cached_tokens}), else -1. Shared with the Responses reader. */
	static long detail(JsonParser parser, JsonToken value, String field) {
		if (value != JsonToken.START_OBJECT) {
			parser.skipChildren();
			return -1;
		}
		long found = -1;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken inner = parser.nextToken();
			if (name.equals(field)) {
				found = number(parser, inner);
			}
			else {
				parser.skipChildren();
			}
		}
		return found;
	}

	private static boolean error(JsonParser parser, AnswerSink sink) {
		String code = null;
		String type = null;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			if (name.equals("code") && value == JsonToken.VALUE_STRING) {
				code = parser.getString();
			}
			else if (name.equals("type") && value == JsonToken.VALUE_STRING) {
				type = parser.getString();
			}
			else {
				parser.skipChildren();
			}
		}
		sink.inBandError(code != null ? code : type != null ? type : "error");
		return true;
	}

	/** A non-negative integer value, else -1. Shared with the Responses reader. */
	static long number(JsonParser parser, JsonToken value) {
		return value == JsonToken.VALUE_NUMBER_INT ? Math.max(-1, parser.getLongValue()) : -1;
	}

	private static boolean skip(JsonParser parser) {
		parser.skipChildren();
		return false;
	}

	private static int skipCount(JsonParser parser) {
		parser.skipChildren();
		return -1;
	}

}
