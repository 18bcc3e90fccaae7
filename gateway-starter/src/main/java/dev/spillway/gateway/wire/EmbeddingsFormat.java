package dev.spillway.gateway.wire;

import java.util.List;
import java.util.function.ToLongFunction;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.OpenAiError;

/** Embeddings ({@code /embeddings}): an {@code input} in, vectors out; never streamed, no output tokens. */
final class EmbeddingsFormat extends OpenAiFormat {

	@Override
	OpenAiError checkInput(ObjectNode body) {
		return body.has("input") ? null : missing("input", "'input' is required.");
	}

	@Override
	public boolean stream(ObjectNode body) {
		return false;
	}

	@Override
	public long promptTokens(ObjectNode body, ToLongFunction<String> count) {
		return textOrTokens(body.get("input"), count);
	}

	@Override
	public long outputReservation(ObjectNode body, long defaultReservation) {
		return 0;
	}

	@Override
	public ObjectNode askForStreamUsage(ObjectNode body) {
		return null;
	}

	@Override
	public boolean streamsEndWithTerminalEvent() {
		return false;
	}

	/** The answer as it was: vectors are not rebuilt from a text. */
	@Override
	public byte[] replayJson(JsonMapper json, StoredAnswer answer) {
		return answer.json() == null ? null : answer.json().getBytes(java.nio.charset.StandardCharsets.UTF_8);
	}

	@Override
	public List<byte[]> replayEvents(JsonMapper json, StoredAnswer answer, boolean includeUsage) {
		return List.of();
	}

}
