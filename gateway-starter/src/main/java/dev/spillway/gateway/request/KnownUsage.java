package dev.spillway.gateway.request;

/**
 * The usage an answer reported, as soon as it was read: from a JSON body, a stream's usage report or a terminal
 * event; possibly before the last bytes of the answer reach the client.
 *
 * @param llm the request's context
 * @param promptTokens prompt (input) tokens
 * @param completionTokens completion (output) tokens
 * @param cachedTokens prompt tokens served from the provider's prompt cache, or -1 when not reported
 * @param reasoningTokens completion tokens spent reasoning, or -1 when not reported
 */
public record KnownUsage(LlmExchange llm, long promptTokens, long completionTokens, long cachedTokens,
		long reasoningTokens) {
}
