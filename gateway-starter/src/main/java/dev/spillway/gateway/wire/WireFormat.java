package dev.spillway.gateway.wire;

import java.util.List;
import java.util.function.ToLongFunction;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.OpenAiError;

/**
 * One API operation's wire format: how its requests are read (what is checked, counted, capped and cached on),
 * how its answers and streams are read (usage, terminal event, finish reason, in-band errors), how a failed stream is
 * ended, and how a kept answer is replayed. Every capability talks to this interface, never to a field of one
 * operation's JSON, so another operation (the Responses API) is another implementation.
 */
public interface WireFormat {

	/** Whether requests of this operation carry a body (a {@code GET} or {@code DELETE} does not). */
	default boolean hasBody() {
		return true;
	}

	/** What is wrong with the request body's shape (400, naming the field), or {@code null}. */
	OpenAiError check(ObjectNode body);

	/** Whether the client asked for a streamed answer. */
	default boolean stream(ObjectNode body) {
		return body.path("stream").asBoolean(false);
	}

	/** Whether a streaming client asked for the usage report in its stream. */
	boolean clientWantsUsage(ObjectNode body);

	/**
	 * The input's tokens.
	 *
	 * @param count counts a text's tokens with the request's tokenizer
	 */
	long promptTokens(ObjectNode body, ToLongFunction<String> count);

	/**
	 * The output tokens the request may use: its output cap (times the number of choices), else
	 * {@code defaultReservation}; 0 for an operation without output.
	 */
	long outputReservation(ObjectNode body, long defaultReservation);

	/**
	 * How the response cache sees a request: the text it compares by meaning (the last {@code lastUserMessages} user
	 * inputs) and the request with that text blanked out (the context a semantic hit must share exactly); {@code null}
	 * when the request cannot be cached (an input that is not plain text, or an operation the cache does not serve).
	 */
	CacheView cacheView(ObjectNode body, int lastUserMessages);

	/**
	 * Whether an answer to this request may come from the cache at all: one choice, no tools or log-probabilities,
	 * and a temperature no higher than {@code maxTemperature}.
	 */
	boolean cacheable(ObjectNode body, double maxTemperature);

	/**
	 * What the cache compares.
	 *
	 * @param question the text compared by meaning
	 * @param context the request with the question blanked out
	 */
	record CacheView(String question, ObjectNode context) {
	}

	/**
	 * A copy of a streaming request's body that asks the backend to report usage in its stream, so the stream is
	 * charged exactly; {@code null} when the body needs no change.
	 */
	ObjectNode askForStreamUsage(ObjectNode body);

	/** A reader for one answer, telling {@code sink} what it finds. */
	AnswerReader reader(JsonMapper json, AnswerSink sink);

	/** Whether a stream that ended without its terminal event is incomplete (and the client is told so). */
	boolean streamsEndWithTerminalEvent();

	/** The event that ends a failed stream, in this operation's form, after what {@code reader} has read. */
	byte[] errorEvent(JsonMapper json, OpenAiError error, AnswerReader reader);

	/** A kept answer as this operation's JSON answer, with a fresh id and time; {@code null} when not replayable. */
	byte[] replayJson(JsonMapper json, StoredAnswer answer);

	/** Whether a kept streamed answer can be replayed as a stream ({@link #replayEvents}). */
	default boolean replaysStreams() {
		return true;
	}

	/** A kept answer as this operation's stream of events; empty when not replayable. */
	List<byte[]> replayEvents(JsonMapper json, StoredAnswer answer, boolean includeUsage);

	/**
	 * For a stream whose backend broke after the client had {@code partial} of the answer: a copy of the request
	 * that asks another backend for the rest (the partial answer as an assistant message to continue); {@code null}
	 * when this operation or this request cannot be continued (several choices, log-probabilities, tools offered, a
	 * stored response, or no room left under the request's output cap once the {@code streamedTokens} it had are
	 * taken off).
	 */
	default ObjectNode continuation(ObjectNode body, String partial, long streamedTokens) {
		return null;
	}

	/**
	 * Lowers the output cap {@code field} of {@code body} (when set) by what was already streamed; whether room is
	 * left for the rest.
	 */
	static boolean lessByStreamed(ObjectNode body, String field, long streamedTokens) {
		JsonNode cap = body.get(field);
		if (cap == null || !cap.isIntegralNumber()) {
			return true;
		}
		long left = cap.asLong() - Math.max(0, streamedTokens);
		if (left <= 0) {
			return false;
		}
		body.put(field, left);
		return true;
	}

	/**
	 * Rewrites the events of a continuation so that they read as the rest of the stream {@code reader} has read: the
	 * same ids and numbering, no second start, the text of closing events whole, and usage summed with what the
	 * broken stream is taken to have used; {@code null} when {@link #continuation} never continues.
	 *
	 * @param carriedPromptTokens the broken stream's input tokens, added to the continuation's
	 * @param carriedCompletionTokens the broken stream's output tokens, added to the continuation's
	 */
	default Splice splice(JsonMapper json, AnswerReader reader, String partial, long carriedPromptTokens,
			long carriedCompletionTokens) {
		return null;
	}

	/** Turns a continuation's events into the rest of the client's stream; one per continuation, serial. */
	interface Splice {

		/** The event (with its closing blank line) to send instead of {@code event}, or {@code null} to drop it. */
		byte[] rewrite(byte[] event);

	}

}
