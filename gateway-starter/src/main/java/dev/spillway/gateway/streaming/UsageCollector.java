package dev.spillway.gateway.streaming;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;

import com.knuddels.jtokkit.api.Encoding;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.wire.StoredAnswer;

import org.springframework.core.io.buffer.DataBuffer;

/**
 * Reads an answer on its way to the client for what settles the request: the {@code usage} it reports (from the
 * JSON body, or from a stream's usage chunk) and, in case no usage arrives (a cut stream, a client that went
 * away), a count of the tokens it streamed, kept as the text goes by (pieces of a few KB, cut between words, are
 * counted and dropped), so a long answer is charged in full without being held. The text itself is kept up to
 * {@code maxKeptLength} characters for the cache and idempotent replay; a longer answer is neither cached nor kept.
 * Also notes when the first content token went out. One per request; events arrive serially. A JSON answer's
 * pieces arrive on the backend connection's event loop while its end may be read where the client's write ended
 * (the client's connection closing ends it early): the body is handed over between the two under this object's lock.
 */
final class UsageCollector implements Answer {

	/** Larger JSON answers are relayed but not inspected. */
	static final int MAX_JSON_BODY = 8 * 1024 * 1024;

	/** Uncounted text is counted once it is this long. */
	static final int COUNT_EVERY = 4096;

	private final JsonMapper json;

	private final int maxKeptLength;

	private final Supplier<Encoding> encoding;

	/** The answer's text while it is within {@code maxKeptLength}; {@code null} once it went past. */
	private StringBuilder text = new StringBuilder();

	/** Text not counted yet. */
	private final StringBuilder uncounted = new StringBuilder();

	private long countedTokens;

	/** The JSON answer so far. Guarded by this. */
	private ByteArrayOutputStream body;

	/** Guarded by this. */
	private boolean bodyTooLarge;

	/** Whether the JSON answer was read: pieces arriving later were not relayed, and are not its. Guarded by this. */
	private boolean bodyRead;

	private volatile boolean gzipped;

	private volatile long promptTokens = -1;

	private volatile long completionTokens = -1;

	private volatile long firstTokenNanos;

	private volatile String finishReason;

	private volatile String model;

	private volatile String answerJson;

	private volatile boolean toolCalls;

	private volatile boolean done;

	/**
	 * @param maxKeptLength the longest text kept for replay
	 * @param encoding the tokenizer of the request, {@code null} while unknown (nothing is charged without a request)
	 */
	UsageCollector(JsonMapper json, int maxKeptLength, Supplier<Encoding> encoding) {
		this.json = json;
		this.maxKeptLength = maxKeptLength;
		this.encoding = encoding;
	}

	/**
	 * Inspects one Server-Sent Event. Returns {@code false} for the usage chunk when the client did not ask for it:
	 * the gateway asked upstream for it to charge the stream exactly, and removes it again.
	 */
	boolean onEvent(byte[] event, boolean clientWantsUsage) {
		int start = payloadStart(event);
		if (start < 0) {
			return true;
		}
		JsonNode chunk;
		try {
			chunk = json.readTree(event, start, event.length - start);
		}
		catch (JacksonException ex) {
			return true;
		}
		if (chunk == null || !chunk.isObject()) {
			return true;
		}
		JsonNode choices = chunk.path("choices");
		if (model == null && chunk.path("model").isString()) {
			model = chunk.get("model").asString();
		}
		for (JsonNode choice : choices) {
			appendText(choice.path("delta"));
			if (choice.path("finish_reason").isString()) {
				finishReason = choice.get("finish_reason").asString();
			}
			JsonNode legacy = choice.path("text");
			if (legacy.isString()) {
				append(legacy.asString());
			}
		}
		JsonNode usage = chunk.get("usage");
		if (usage != null && usage.isObject()) {
			record(usage);
			return clientWantsUsage || !choices.isArray() || !choices.isEmpty();
		}
		return true;
	}

	/** Copies a piece of a JSON answer without consuming it. */
	synchronized void onJsonBytes(DataBuffer buffer) {
		if (bodyTooLarge || bodyRead) {
			return;
		}
		if (body == null) {
			body = new ByteArrayOutputStream(Math.max(256, buffer.readableByteCount()));
		}
		if (body.size() + buffer.readableByteCount() > MAX_JSON_BODY) {
			bodyTooLarge = true;
			body = null;
			return;
		}
		try (DataBuffer.ByteBufferIterator parts = buffer.readableByteBuffers()) {
			while (parts.hasNext()) {
				ByteBuffer part = parts.next();
				byte[] bytes = new byte[part.remaining()];
				part.get(bytes);
				body.write(bytes, 0, bytes.length);
			}
		}
	}

	/** The JSON answer arrives gzip-compressed (a backend that ignored {@code Accept-Encoding: identity}). */
	void gzipped() {
		gzipped = true;
	}

	/**
	 * Reads the usage (or, lacking it, the message text) of the JSON answer relayed so far, once, however its
	 * relay ended: an answer relayed whole is read even when the client left before its end was seen; of one cut
	 * short, nothing is.
	 */
	void onJsonEnd() {
		ByteArrayOutputStream relayed;
		synchronized (this) {
			relayed = body;
			body = null;
			bodyRead = true;
		}
		if (relayed == null || relayed.size() == 0) {
			return;
		}
		try {
			byte[] bytes = gzipped ? gunzip(relayed.toByteArray()) : relayed.toByteArray();
			JsonNode answer = json.readTree(bytes);
			JsonNode usage = answer.get("usage");
			if (usage != null && usage.isObject()) {
				record(usage);
			}
			if (answer.path("model").isString()) {
				model = answer.get("model").asString();
			}
			for (JsonNode choice : answer.path("choices")) {
				appendText(choice.path("message"));
				if (choice.path("finish_reason").isString()) {
					finishReason = choice.get("finish_reason").asString();
				}
			}
			answerJson = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
			done = true;
		}
		catch (JacksonException | IOException ex) {
			// Not JSON after all (an upstream error page), not really gzip, or cut short: nothing to read.
		}
	}

	private static byte[] gunzip(byte[] compressed) throws IOException {
		try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
			byte[] bytes = in.readNBytes(MAX_JSON_BODY + 1);
			if (bytes.length > MAX_JSON_BODY) {
				throw new IOException("Decompressed answer larger than " + MAX_JSON_BODY + " bytes");
			}
			return bytes;
		}
	}

	@Override
	public boolean hasUsage() {
		return promptTokens >= 0;
	}

	@Override
	public long promptTokens() {
		return promptTokens;
	}

	@Override
	public long completionTokens() {
		return completionTokens;
	}

	/** Tokens of the text streamed so far (content, tool-call arguments), for charging when no usage arrived. */
	@Override
	public synchronized long streamedTokens() {
		count(true);
		return countedTokens;
	}

	/** Whether the whole answer text was kept (it was not longer than the limit), so it may be cached or replayed. */
	@Override
	public synchronized boolean kept() {
		return text != null;
	}

	/** Marks a stream that ended with {@code data: [DONE]}. */
	void markDone() {
		done = true;
	}

	/** Whether the answer is complete: a JSON body read to its end, or a stream that reached {@code [DONE]}. */
	@Override
	public boolean complete() {
		return done;
	}

	@Override
	public String finishReason() {
		return finishReason;
	}

	/** The model the answer names, or {@code null}. */
	String model() {
		return model;
	}

	/** The whole JSON answer when it was not streamed, or {@code null}. */
	@Override
	public String json() {
		return answerJson;
	}

	/** Whether the answer called tools. */
	@Override
	public boolean toolCalls() {
		return toolCalls;
	}

	/**
	 * The answer, normalised for replay (cache, idempotency).
	 *
	 * @param fallbackModel the model to name when the answer named none
	 * @param keepJson whether to keep the original JSON answer alongside
	 */
	@Override
	public synchronized StoredAnswer toStored(String fallbackModel, boolean keepJson) {
		if (text == null) {
			throw new IllegalStateException("the answer was longer than the kept limit");
		}
		return new StoredAnswer(model != null ? model : fallbackModel, text.toString(),
				finishReason == null ? "stop" : finishReason, Math.max(0, promptTokens), Math.max(0, completionTokens),
				System.currentTimeMillis(), keepJson ? answerJson : null);
	}

	/** When the first non-empty piece of content went out, or 0. */
	@Override
	public long firstTokenNanos() {
		return firstTokenNanos;
	}

	private void record(JsonNode usage) {
		long prompt = usage.path("prompt_tokens").asLong(-1);
		long total = usage.path("total_tokens").asLong(-1);
		long completion = usage.path("completion_tokens").asLong(prompt >= 0 && total >= 0 ? total - prompt : 0);
		if (prompt >= 0) {
			completionTokens = Math.max(0, completion);
			promptTokens = prompt;
		}
	}

	private void appendText(JsonNode message) {
		JsonNode content = message.path("content");
		if (content.isString()) {
			append(content.asString());
		}
		for (JsonNode call : message.path("tool_calls")) {
			toolCalls = true;
			JsonNode arguments = call.path("function").path("arguments");
			if (arguments.isString()) {
				append(arguments.asString());
			}
		}
	}

	private synchronized void append(String piece) {
		if (!piece.isEmpty()) {
			if (firstTokenNanos == 0) {
				firstTokenNanos = System.nanoTime();
			}
			if (text != null) {
				if (text.length() + piece.length() > maxKeptLength) {
					text = null;
				}
				else {
					text.append(piece);
				}
			}
			uncounted.append(piece);
			if (uncounted.length() >= COUNT_EVERY) {
				count(false);
			}
		}
	}

	/**
	 * Counts the uncounted text: all of it, or up to the last space before a word, where the tokenizer would cut
	 * anyway (its pieces begin with their leading space), so counting in parts gives the count of the whole.
	 */
	private void count(boolean all) {
		if (uncounted.isEmpty()) {
			return;
		}
		Encoding tokenizer = encoding.get();
		int end = all ? uncounted.length() : cut(uncounted);
		if (tokenizer != null) {
			countedTokens += tokenizer.countTokensOrdinary(uncounted.substring(0, end));
		}
		uncounted.delete(0, end);
	}

	/** Where to cut: before the last space between two non-spaces, else (one long word) everything. */
	private static int cut(CharSequence text) {
		for (int i = text.length() - 2; i > 0; i--) {
			if (text.charAt(i) == ' ' && !Character.isWhitespace(text.charAt(i - 1))
					&& !Character.isWhitespace(text.charAt(i + 1))) {
				return i;
			}
		}
		return text.length();
	}

	/** Index of the JSON after {@code data:}, or -1 when the event carries no JSON object. */
	private static int payloadStart(byte[] event) {
		int i = 0;
		while (i < event.length && (event[i] == '\n' || event[i] == '\r')) {
			i++;
		}
		if (event.length - i < 6 || event[i] != 'd' || event[i + 1] != 'a' || event[i + 2] != 't' || event[i + 3] != 'a'
				|| event[i + 4] != ':') {
			return -1;
		}
		i += 5;
		while (i < event.length && event[i] == ' ') {
			i++;
		}
		return i < event.length && event[i] == '{' ? i : -1;
	}

}
