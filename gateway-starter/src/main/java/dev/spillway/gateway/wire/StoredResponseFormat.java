package dev.spillway.gateway.wire;

import java.util.function.ToLongFunction;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.OpenAiError;

/**
 * An operation on a response the backend stored: retrieve, delete, cancel, list its input items, resume its
 * stream. No body to check or count (they cost a request, no tokens); the answer is read for its model and text
 * but its usage is not charged again — the request that created the response paid for it.
 */
final class StoredResponseFormat extends ResponsesFormat {

	@Override
	public boolean hasBody() {
		return false;
	}

	@Override
	public OpenAiError check(ObjectNode body) {
		return null;
	}

	/** A resumed stream asks with {@code ?stream=true}, read from the query by the request reader. */
	@Override
	public boolean stream(ObjectNode body) {
		return false;
	}

	@Override
	public long promptTokens(ObjectNode body, ToLongFunction<String> count) {
		return 0;
	}

	@Override
	public long outputReservation(ObjectNode body, long defaultReservation) {
		return 0;
	}

	/** A stored response is the backend's to serve: nothing about it is kept for replay. */
	@Override
	public boolean replaysStreams() {
		return false;
	}

	@Override
	public byte[] replayJson(JsonMapper json, StoredAnswer answer) {
		return null;
	}

	@Override
	public AnswerReader reader(JsonMapper json, AnswerSink sink) {
		return new ResponsesReader(json, sink, false);
	}

}
