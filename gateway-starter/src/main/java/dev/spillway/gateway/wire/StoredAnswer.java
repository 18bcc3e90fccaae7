package dev.spillway.gateway.wire;

/**
 * An answer kept for replay (the cache, Idempotency-Key), normalised so it can be replayed as JSON or as a stream
 * whichever way it was stored.
 *
 * @param model the model that answered
 * @param content the answer's text
 * @param finishReason why the answer ended
 * @param promptTokens usage reported with the answer
 * @param completionTokens usage reported with the answer
 * @param createdAtMillis when it was stored
 * @param json the original JSON answer when it was not streamed, else {@code null}
 */
public record StoredAnswer(String model, String content, String finishReason, long promptTokens, long completionTokens,
		long createdAtMillis, String json) {

}
