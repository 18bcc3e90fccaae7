package dev.spillway.gateway.streaming;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.SignalType;

import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.EndedAnswer.End;
import dev.spillway.gateway.request.KnownUsage;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * Once an answer's body has ended — completed, failed or cancelled (the client went away, however the write
 * ended) — computes once what the request used and
 * hands it to every capability's {@link AnswerCompletion}, in order.
 * <p>
 * What was used: the answer's {@code usage} when it reported one; otherwise, for a successful answer cut short
 * (a broken stream, a client that went away), the prompt's tokens plus the streamed text counted with the
 * tokenizer as it went by — never zero; for an answer that failed before it began (an error status), or that used
 * no backend (the cache, a replay, a queued job), nothing.
 */
class RequestSettlement {

	private static final Logger log = LoggerFactory.getLogger(RequestSettlement.class);

	private final List<AnswerCompletion> completions;

	RequestSettlement(List<AnswerCompletion> completions) {
		this.completions = List.copyOf(completions);
	}

	/** Hands the id of an answer the backend stores to every completion. */
	void answerIdentified(LlmExchange llm, String answerId) {
		for (AnswerCompletion completion : completions) {
			try {
				completion.answerIdentified(llm, answerId);
			}
			catch (RuntimeException ex) {
				log.warn("Answer id work {} failed for request {}", completion.getClass().getSimpleName(),
						llm.requestId(), ex);
			}
		}
	}

	/** The first phase: hands the usage the answer reported to every completion. */
	void usageKnown(KnownUsage usage) {
		for (AnswerCompletion completion : completions) {
			try {
				completion.usageKnown(usage);
			}
			catch (RuntimeException ex) {
				log.warn("Usage work {} failed for request {}", completion.getClass().getSimpleName(),
						usage.llm().requestId(), ex);
			}
		}
	}

	void settle(ServerWebExchange exchange, LlmExchange llm, SignalType signal) {
		HttpStatusCode status = exchange.getResponse().getStatusCode();
		// Reactor Netty completes a write whose client connection closed: that is a client that went away.
		End end = llm.clientGone() ? End.CANCELLED : switch (signal) {
			case CANCEL -> End.CANCELLED;
			case ON_ERROR -> End.FAILED;
			default -> End.COMPLETED;
		};
		Answer answer = llm.answer();
		if (answer != null && answer.inBandError() != null) {
			// An error event after a good start: the answer failed upstream, whatever the status said.
			llm.markUpstreamFailed();
		}
		long[] used = used(llm, status);
		EndedAnswer ended = new EndedAnswer(exchange, llm, end, status, used[0], used[1]);
		for (AnswerCompletion completion : completions) {
			try {
				completion.bodyEnded(ended);
			}
			catch (RuntimeException ex) {
				log.warn("End-of-answer work {} failed for request {}", completion.getClass().getSimpleName(),
						llm.requestId(), ex);
			}
		}
	}

	/** Prompt and completion tokens used. */
	private static long[] used(LlmExchange llm, HttpStatusCode status) {
		if (!llm.answerSource().usesTokens()) {
			return new long[] { 0, 0 };
		}
		Answer answer = llm.answer();
		LlmRequest request = llm.request();
		if (answer != null && answer.hasUsage()) {
			return new long[] { answer.promptTokens(), answer.completionTokens() };
		}
		boolean answered = status == null || status.is2xxSuccessful();
		if (request == null || !answered) {
			return new long[] { 0, 0 };
		}
		if (request.body().path("background").asBoolean(false)) {
			// A background response is written later, on the provider: its output is charged as reserved.
			return new long[] { request.promptTokens(), request.completionReservation() };
		}
		return new long[] { request.promptTokens(), answer == null ? 0 : answer.streamedTokens() };
	}

}
