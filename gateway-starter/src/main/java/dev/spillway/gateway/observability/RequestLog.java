package dev.spillway.gateway.observability;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.spillway.gateway.core.ModelNames;
import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.http.HttpStatusCode;

/**
 * One structured line per Spillway request, written when its body has ended, under the logger
 * {@value #LOGGER}. Key=value pairs so log pipelines can parse them; never a key or a body. The one value a client
 * chooses freely, the model name, is escaped (quoted, control characters as {@code \n}, {@code \\u0000}) so it
 * cannot forge a line.
 */
class RequestLog implements AnswerCompletion {

	/** Logger name of the request log; turn it to WARN to silence it. */
	static final String LOGGER = "dev.spillway.gateway.request";

	private static final Logger log = LoggerFactory.getLogger(LOGGER);

	@Override
	public void bodyEnded(EndedAnswer answer) {
		if (!log.isInfoEnabled()) {
			return;
		}
		long end = System.nanoTime();
		LlmExchange llm = answer.llm();
		HttpStatusCode status = answer.status();
		LlmRequest request = llm.request();
		Answer read = llm.answer();
		long firstToken = read == null ? 0 : read.firstTokenNanos();
		log.info("request_id={} tenant={} pool={} backend={} model={} stream={} status={} outcome={} attempts={} "
				+ "ttft_ms={} total_ms={} prompt_tokens={} completion_tokens={}",
				llm.requestId(), llm.tenant(), llm.pool(), llm.backend() == null ? null : llm.backend().id(),
				request == null ? null : ModelNames.forLog(request.model()), request != null && request.stream(),
				status == null ? 0 : status.value(), outcomeOf(answer), llm.attempts(),
				firstToken == 0 ? -1 : (firstToken - llm.startNanos()) / 1_000_000,
				(end - llm.startNanos()) / 1_000_000, answer.promptTokens(), answer.completionTokens());
	}

	/** As the log always named it: a body that ended cleanly is {@code completed}, whatever its status. */
	private static String outcomeOf(EndedAnswer answer) {
		String outcome = UsageMetrics.outcome(answer);
		return switch (outcome) {
			case "upstream_failed", "queued", "cancelled" -> outcome;
			default -> answer.end() == EndedAnswer.End.FAILED ? "failed" : "completed";
		};
	}

	@Override
	public int getOrder() {
		return LOG;
	}

}
