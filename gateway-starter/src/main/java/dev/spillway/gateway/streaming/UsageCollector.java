package dev.spillway.gateway.streaming;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;

import com.knuddels.jtokkit.api.Encoding;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.wire.AnswerReader;
import dev.spillway.gateway.wire.AnswerSink;
import dev.spillway.gateway.wire.LlmOperation;
import dev.spillway.gateway.wire.StoredAnswer;
import dev.spillway.gateway.wire.WireFormat;

import org.springframework.core.io.buffer.DataBuffer;

/**
 * Follows an answer on its way to the client, as its operation's {@link AnswerReader} reads it, for what settles the
 * request: the {@code usage} it reports (from the JSON body, or from a stream's usage report) and, in case no usage arrives (a cut stream, a client that went
 * away), a count of the tokens it streamed, kept as the text goes by (pieces of a few KB, cut between words, are
 * counted and dropped), so a long answer is charged in full without being held. The text itself is kept up to
 * {@code maxKeptLength} characters for the cache and idempotent replay; a longer answer is neither cached nor kept.
 * Also notes when the first content token went out. One per request; events arrive serially. A JSON answer's
 * pieces arrive on the backend connection's event loop while its end may be read where the client's write ended
 * (the client's connection closing ends it early): the body is handed over between the two under this object's lock.
 */
final class UsageCollector implements Answer, AnswerSink {

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

	private final JsonEnd jsonEnd = new JsonEnd();

	private volatile boolean gzipped;

	private volatile long promptTokens = -1;

	private volatile long completionTokens = -1;

	private volatile long firstTokenNanos;

	private volatile String finishReason;

	/** The answer's text is whole: what follows it (usage, the terminal event) is no text to continue. */
	private volatile boolean textFinished;

	private volatile String model;

	private volatile String answerJson;

	private volatile boolean toolCalls;

	private volatile boolean done;

	private volatile String inBandError;

	private final Supplier<WireFormat> format;

	private final UsageListener onUsage;

	private volatile Consumer<String> onIdentified = id -> {
	};

	private volatile String answerId;

	/** The reader of the answer, made once the request's operation is known. */
	private volatile AnswerReader reader;

	/**
	 * @param maxKeptLength the longest text kept for replay
	 * @param encoding the tokenizer of the request, {@code null} while unknown (nothing is charged without a request)
	 * @param format the wire format of the request's operation, {@code null} while unknown (nothing is read then)
	 * @param onUsage told the usage the first time the answer reports it
	 */
	UsageCollector(JsonMapper json, int maxKeptLength, Supplier<Encoding> encoding, Supplier<WireFormat> format,
			UsageListener onUsage) {
		this.json = json;
		this.format = format;
		this.onUsage = onUsage;
		this.maxKeptLength = maxKeptLength;
		this.encoding = encoding;
	}

	/**
	 * Inspects one Server-Sent Event. Returns {@code false} for the usage report when the client did not ask for it:
	 * the gateway asked upstream for it to charge the stream exactly, and removes it again.
	 */
	boolean onEvent(byte[] event, boolean clientWantsUsage) {
		AnswerReader reading = reader();
		return reading == null || reading.onEvent(event, clientWantsUsage);
	}

	/** The event that ends a failed stream in the request's operation's form. */
	byte[] errorEvent(OpenAiError error) {
		WireFormat wire = format.get();
		return (wire != null ? wire : LlmOperation.CHAT_COMPLETIONS.format()).errorEvent(json, error, reader());
	}

	/** Whether the stream reached its operation's terminal event. */
	boolean terminal() {
		AnswerReader reading = reader;
		return reading != null && reading.terminal();
	}

	/** The reader of the request's operation, for splicing a continuation after what it read; may be {@code null}. */
	AnswerReader reading() {
		return reader();
	}

	/**
	 * The answer's text so far when a continuation may pick it up: kept whole (not longer than the kept limit),
	 * without tool calls, and not yet finished (no finish reason, no text part done, no terminal event: a stream
	 * that breaks after those has nothing left to continue); {@code null} otherwise.
	 */
	synchronized String continuableText() {
		return text == null || toolCalls || textFinished || terminal() ? null : text.toString();
	}

	/** The reader of the request's operation; {@code null} before the request was read. */
	private AnswerReader reader() {
		AnswerReader reading = reader;
		if (reading == null) {
			WireFormat wire = format.get();
			if (wire != null) {
				reading = wire.reader(json, this);
				reader = reading;
			}
		}
		return reading;
	}

	/**
	 * Copies a piece of a JSON answer without consuming it; whether the answer is whole with it (its top-level value
	 * closed), so it can be read before this last piece is passed on, whether or not the upstream ever ends the body.
	 */
	synchronized boolean onJsonBytes(DataBuffer buffer) {
		if (bodyTooLarge || bodyRead) {
			return false;
		}
		if (body == null) {
			body = new ByteArrayOutputStream(Math.max(256, buffer.readableByteCount()));
		}
		if (body.size() + buffer.readableByteCount() > MAX_JSON_BODY) {
			bodyTooLarge = true;
			body = null;
			return false;
		}
		try (DataBuffer.ByteBufferIterator parts = buffer.readableByteBuffers()) {
			while (parts.hasNext()) {
				ByteBuffer part = parts.next();
				byte[] bytes = new byte[part.remaining()];
				part.get(bytes);
				body.write(bytes, 0, bytes.length);
				if (!gzipped) {
					jsonEnd.scan(bytes);
				}
			}
		}
		return jsonEnd.reached;
	}

	/**
	 * Finds where a JSON document's top-level value closes, byte by byte across pieces: brackets counted outside
	 * strings. Invalid JSON may look whole early or never: it is then read as unreadable, as it would be at its end.
	 */
	private static final class JsonEnd {

		private int depth;

		private boolean started;

		private boolean inString;

		private boolean escaped;

		private boolean reached;

		void scan(byte[] bytes) {
			for (int i = 0; i < bytes.length && !reached; i++) {
				byte b = bytes[i];
				if (inString) {
					if (escaped) {
						escaped = false;
					}
					else if (b == '\\') {
						escaped = true;
					}
					else if (b == '"') {
						inString = false;
					}
				}
				else if (b == '"') {
					inString = true;
				}
				else if (b == '{' || b == '[') {
					depth++;
					started = true;
				}
				else if (b == '}' || b == ']') {
					depth--;
					reached = started && depth == 0;
				}
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
		AnswerReader reading = reader();
		if (reading == null) {
			return;
		}
		byte[] bytes;
		try {
			bytes = gzipped ? gunzip(relayed.toByteArray()) : relayed.toByteArray();
		}
		catch (IOException notGzip) {
			// Not really gzip, or too large once unpacked: nothing to read.
			return;
		}
		reading.onJson(bytes);
		if (done) {
			answerJson = new String(bytes, StandardCharsets.UTF_8);
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
	@Override
	public String model() {
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

	@Override
	public void callsTools() {
		toolCalls = true;
	}

	@Override
	public void finishReason(String reason) {
		finishReason = reason;
		textFinished = true;
	}

	@Override
	public void textFinished() {
		textFinished = true;
	}

	@Override
	public void model(String named) {
		model = named;
	}

	@Override
	public void usage(long inputTokens, long outputTokens, long cachedTokens, long reasoningTokens) {
		completionTokens = Math.max(0, outputTokens);
		boolean first = promptTokens < 0;
		promptTokens = inputTokens;
		if (first) {
			onUsage.accept(inputTokens, Math.max(0, outputTokens), cachedTokens, reasoningTokens);
		}
	}

	/** Told the usage when an answer first reports it. */
	interface UsageListener {

		void accept(long promptTokens, long completionTokens, long cachedTokens, long reasoningTokens);

	}

	/** Told the backend's id of the answer, when it stores the answer, the first time it is read. */
	void onIdentified(Consumer<String> listener) {
		this.onIdentified = listener;
	}

	@Override
	public void answerId(String id) {
		if (answerId == null) {
			answerId = id;
			onIdentified.accept(id);
		}
	}

	@Override
	public void reachedEnd() {
		done = true;
	}

	@Override
	public void inBandError(String code) {
		inBandError = code;
	}

	@Override
	public String inBandError() {
		return inBandError;
	}

	@Override
	public synchronized void text(String piece) {
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

}
