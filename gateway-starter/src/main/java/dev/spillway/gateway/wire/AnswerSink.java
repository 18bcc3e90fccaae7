package dev.spillway.gateway.wire;

/**
 * What an {@link AnswerReader} finds in an answer, as it finds it: the pieces settlement, the cache and metrics
 * need. Called serially, one answer at a time.
 */
public interface AnswerSink {

	/** A piece of the answer's text (content, a legacy completion's text, tool-call arguments). */
	void text(String piece);

	/** The answer calls tools. */
	void callsTools();

	/** Why (a choice of) the answer ended. */
	void finishReason(String reason);

	/**
	 * The answer's text is whole (a Responses text part or item is done), before its terminal event: a stream that
	 * breaks after this point is not continued. A finish reason says the same.
	 */
	default void textFinished() {
	}

	/** The model the answer names. */
	void model(String model);

	/**
	 * The usage the answer reports.
	 *
	 * @param inputTokens prompt tokens
	 * @param outputTokens completion tokens
	 * @param cachedTokens prompt tokens served from the provider's prompt cache, or -1
	 * @param reasoningTokens completion tokens spent reasoning, or -1
	 */
	void usage(long inputTokens, long outputTokens, long cachedTokens, long reasoningTokens);

	/** The answer reached its terminal point: a JSON body read whole, or a stream's terminal event. */
	void reachedEnd();

	/** The id the backend gave the answer, for answers the backend stores (a Responses API response). */
	default void answerId(String id) {
	}

	/** The backend reported an error inside an answer that had started well (an error event after HTTP 200). */
	void inBandError(String code);

}
