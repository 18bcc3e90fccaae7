package dev.spillway.gateway.request;

import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * A request whose answer's body has ended, with what it used, computed once for every {@link AnswerCompletion}.
 *
 * @param exchange the exchange
 * @param llm the request's context
 * @param end how the body ended
 * @param status the answer's status, or {@code null} when none was set
 * @param promptTokens prompt tokens used: the answer's usage, else the request's count for a successful answer cut
 * short, else 0 (an error answer, or one that used no backend)
 * @param completionTokens completion tokens used: the answer's usage, else the streamed text counted, else 0
 */
public record EndedAnswer(ServerWebExchange exchange, LlmExchange llm, End end, HttpStatusCode status,
		long promptTokens, long completionTokens) {

	/** How an answer's body ended. */
	public enum End {

		/** The body was written to its end. */
		COMPLETED,

		/** The body failed (upstream or on the way). */
		FAILED,

		/** The client went away before the end. */
		CANCELLED

	}

	/** Whether the body was written to its end, with no upstream failure reported in it. */
	public boolean completedCleanly() {
		return end == End.COMPLETED && !llm.upstreamFailed();
	}

	/** Whether the status is a success. */
	public boolean succeeded() {
		return status == null || status.is2xxSuccessful();
	}

	public long totalTokens() {
		return promptTokens + completionTokens;
	}

}
