package dev.spillway.gateway.wire;

import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the answers of OpenAI's chat completions, completions and embeddings: a JSON body, or a stream of
 * {@code data: {...}} chunks ended by {@code data: [DONE]}. The usage-only chunk (empty {@code choices}) is held back
 * from a client that did not ask for it.
 */
final class OpenAiReader implements AnswerReader {

	private static final byte[] DONE = "[DONE]".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

	private final JsonMapper json;

	private final AnswerSink sink;

	private boolean terminal;

	/** The stream's first chunk with a choice, as it came: its id, time and model, should the stream be continued. */
	private byte[] firstChunk;

	OpenAiReader(JsonMapper json, AnswerSink sink) {
		this.json = json;
		this.sink = sink;
	}

	@Override
	public boolean onEvent(byte[] event, boolean clientWantsUsage) {
		int start = Events.dataStart(event);
		if (start < 0) {
			return true;
		}
		if (Events.startsWith(event, start, DONE)) {
			terminal = true;
			sink.reachedEnd();
			return true;
		}
		if (event[start] != '{') {
			return true;
		}
		OpenAiAnswerScanner.Facts facts = OpenAiAnswerScanner.scan(json, event, start, event.length - start, sink);
		if (firstChunk == null && facts.choices() > 0) {
			// Azure opens with a prompt-filter chunk without choices whose id and model are empty: not the answer's.
			firstChunk = event;
		}
		return !facts.usage() || clientWantsUsage || facts.choices() != 0;
	}

	@Override
	public void onJson(byte[] body) {
		if (OpenAiAnswerScanner.scan(json, body, 0, body.length, sink).whole()) {
			sink.reachedEnd();
		}
	}

	/** The first chunk of the stream with a choice, or {@code null}. */
	byte[] firstChunk() {
		return firstChunk;
	}

	@Override
	public boolean terminal() {
		return terminal;
	}

}
