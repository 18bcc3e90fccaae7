package dev.spillway.gateway.wire;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads Responses API answers token by token, without trees: a JSON {@code response} object, or a typed stream. In a
 * stream the text comes from the {@code *.delta} events ({@code response.output_text.delta}, function-call
 * arguments, refusals); the model, usage and status from the {@code response} object of {@code response.created}
 * and the terminal events, whose repeated output text is not read again. It remembers the last
 * {@code sequence_number} and the response's id, so that a failed stream can be ended in the same numbering.
 */
final class ResponsesReader implements AnswerReader {

	private final JsonMapper json;

	private final AnswerSink sink;

	private boolean terminal;

	private long lastSequence = -1;

	private String responseId;

	private String model;

	/** Where the answer's text goes (the first text delta's item, output and content indices), for a continuation. */
	private String textItemId;

	private long textOutputIndex = -1;

	private long textContentIndex = -1;

	/** Whether the answer is a new response (its usage charged, its id reported), not a stored one read again. */
	private final boolean creates;

	private boolean identified;

	ResponsesReader(JsonMapper json, AnswerSink sink, boolean creates) {
		this.json = json;
		this.sink = sink;
		this.creates = creates;
	}

	long lastSequence() {
		return lastSequence;
	}

	/** The id of the response the stream announced, or {@code null} before {@code response.created}. */
	String responseId() {
		return responseId;
	}

	String model() {
		return model;
	}

	/** The item the answer's text went to, or {@code null} before its first text delta. */
	String textItemId() {
		return textItemId;
	}

	long textOutputIndex() {
		return textOutputIndex;
	}

	long textContentIndex() {
		return textContentIndex;
	}

	@Override
	public boolean onEvent(byte[] event, boolean clientWantsUsage) {
		int start = Events.dataStart(event);
		if (start < 0 || event[start] != '{') {
			return true;
		}
		String type = null;
		String delta = null;
		Status status = null;
		String errorCode = null;
		String itemId = null;
		long outputIndex = -1;
		long contentIndex = -1;
		try (JsonParser parser = json.createParser(event, start, event.length - start)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				return true;
			}
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				switch (name) {
					case "type" -> type = value == JsonToken.VALUE_STRING ? parser.getString() : type;
					case "sequence_number" -> {
						if (value == JsonToken.VALUE_NUMBER_INT) {
							lastSequence = Math.max(lastSequence, parser.getLongValue());
						}
					}
					case "delta" -> delta = value == JsonToken.VALUE_STRING ? parser.getString() : skip(parser);
					case "response" -> status = value == JsonToken.START_OBJECT ? response(parser, false) : skipStatus(parser);
					case "item" -> {
						if (value == JsonToken.START_OBJECT && "function_call".equals(field(parser, "type"))) {
							sink.callsTools();
						}
					}
					case "code" -> errorCode = value == JsonToken.VALUE_STRING ? parser.getString() : skip(parser);
					case "item_id" -> itemId = value == JsonToken.VALUE_STRING ? parser.getString() : skip(parser);
					case "output_index" -> outputIndex = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : -1;
					case "content_index" -> contentIndex = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : -1;
					default -> parser.skipChildren();
				}
			}
		}
		catch (JacksonException malformed) {
			return true;
		}
		if (type == null) {
			int typeAt = Events.typeStart(event);
			type = typeAt < 0 ? "" : Events.lineAt(event, typeAt);
		}
		if (textItemId == null && itemId != null && "response.output_text.delta".equals(type)) {
			textItemId = itemId;
			textOutputIndex = outputIndex;
			textContentIndex = contentIndex;
		}
		if (creates && delta != null && type.endsWith(".delta") && !type.contains("reasoning") && !type.contains("audio")) {
			sink.text(delta);
		}
		switch (type) {
			case "response.output_text.done", "response.content_part.done", "response.output_item.done" ->
				sink.textFinished();
			case "response.completed", "response.incomplete" -> end();
			case "response.failed" -> {
				if (creates) {
					sink.inBandError(status != null && status.errorCode != null ? status.errorCode : "response_failed");
				}
				end();
			}
			case "error" -> {
				sink.inBandError(errorCode != null ? errorCode : "error");
				terminal = true;
			}
			default -> {
			}
		}
		return true;
	}

	private void end() {
		terminal = true;
		sink.reachedEnd();
	}

	@Override
	public void onJson(byte[] body) {
		try (JsonParser parser = json.createParser(body)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				return;
			}
			Status status = response(parser, creates);
			if (parser.nextToken() == null) {
				if (creates && status.object && "failed".equals(status.status)) {
					sink.inBandError(status.errorCode != null ? status.errorCode : "response_failed");
				}
				sink.reachedEnd();
			}
		}
		catch (JacksonException malformed) {
			// What was read stands; the rest is no answer.
		}
	}

	@Override
	public boolean terminal() {
		return terminal;
	}

	/** What a response object said about itself. */
	private static final class Status {

		boolean object;

		String status;

		String errorCode;

	}

	/** Reads a response object from its first property to its end; its output text only when {@code withText}. */
	private Status response(JsonParser parser, boolean withText) {
		Status status = new Status();
		String incompleteReason = null;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			switch (name) {
				case "id" -> {
					if (value == JsonToken.VALUE_STRING) {
						responseId = parser.getString();
						if (creates && !identified) {
							identified = true;
							sink.answerId(responseId);
						}
					}
				}
				case "object" -> status.object = value == JsonToken.VALUE_STRING && "response".equals(parser.getString());
				case "model" -> {
					if (value == JsonToken.VALUE_STRING) {
						model = parser.getString();
						sink.model(model);
					}
				}
				case "status" -> status.status = value == JsonToken.VALUE_STRING ? parser.getString() : null;
				case "usage" -> {
					if (value == JsonToken.START_OBJECT && creates) {
						usage(parser);
					}
					else {
						parser.skipChildren();
					}
				}
				case "output" -> {
					if (value == JsonToken.START_ARRAY) {
						output(parser, withText);
					}
				}
				case "error" -> {
					if (value == JsonToken.START_OBJECT) {
						status.errorCode = field(parser, "code");
					}
				}
				case "incomplete_details" -> incompleteReason = value == JsonToken.START_OBJECT ? field(parser, "reason")
						: skip(parser);
				default -> parser.skipChildren();
			}
		}
		if ("completed".equals(status.status)) {
			sink.finishReason("stop");
		}
		else if ("incomplete".equals(status.status)) {
			sink.finishReason("content_filter".equals(incompleteReason) ? "content_filter" : "length");
		}
		return status;
	}

	private void output(JsonParser parser, boolean withText) {
		while (parser.nextToken() == JsonToken.START_OBJECT) {
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				if (name.equals("type") && value == JsonToken.VALUE_STRING) {
					if ("function_call".equals(parser.getString())) {
						sink.callsTools();
					}
				}
				else if (withText && name.equals("arguments") && value == JsonToken.VALUE_STRING) {
					sink.text(parser.getString());
				}
				else if (withText && name.equals("content") && value == JsonToken.START_ARRAY) {
					while (parser.nextToken() == JsonToken.START_OBJECT) {
						String text = field(parser, "text");
						if (text != null) {
							sink.text(text);
						}
					}
				}
				else {
					parser.skipChildren();
				}
			}
		}
	}

	private void usage(JsonParser parser) {
		long input = -1;
		long output = -1;
		long cached = -1;
		long reasoning = -1;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			switch (name) {
				case "input_tokens" -> input = OpenAiAnswerScanner.number(parser, value);
				case "output_tokens" -> output = OpenAiAnswerScanner.number(parser, value);
				case "input_tokens_details" -> cached = OpenAiAnswerScanner.detail(parser, value, "cached_tokens");
				case "output_tokens_details" -> reasoning = OpenAiAnswerScanner.detail(parser, value, "reasoning_tokens");
				default -> parser.skipChildren();
			}
		}
		if (input >= 0) {
			sink.usage(input, Math.max(0, output), cached, reasoning);
		}
	}

	/** One scalar field of an object, read to the object's end; numbers as their text. */
	private static String field(JsonParser parser, String wanted) {
		String found = null;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			if (name.equals(wanted) && value.isScalarValue() && value != JsonToken.VALUE_NULL) {
				found = parser.getString();
			}
			else {
				parser.skipChildren();
			}
		}
		return found;
	}

	private static String skip(JsonParser parser) {
		parser.skipChildren();
		return null;
	}

	private static Status skipStatus(JsonParser parser) {
		parser.skipChildren();
		return null;
	}

}
