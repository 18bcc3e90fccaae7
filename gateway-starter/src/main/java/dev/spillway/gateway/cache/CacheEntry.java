package dev.spillway.gateway.cache;

/**
 * A cached answer, normalised so it can be replayed as JSON or as a stream whichever way it was stored.
 *
 * @param model the model that answered
 * @param content the answer's text
 * @param finishReason why the answer ended
 * @param promptTokens usage reported with the answer
 * @param completionTokens usage reported with the answer
 * @param createdAtMillis when it was stored
 * @param json the original JSON answer when it was not streamed, else {@code null}
 */
public record CacheEntry(String model, String content, String finishReason, long promptTokens, long completionTokens,
		long createdAtMillis, String json) {

}
