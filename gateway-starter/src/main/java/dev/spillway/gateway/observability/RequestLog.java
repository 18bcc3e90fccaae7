package dev.spillway.gateway.observability;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.SignalType;

import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.request.ModelNames;

import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * One structured line per Spillway request, written when its body has ended, under the logger
 * {@value #LOGGER}. Key=value pairs so log pipelines can parse them; never a key or a body. The one value a client
 * chooses freely, the model name, is escaped (quoted, control characters as {@code \n}, {@code \\u0000}) so it
 * cannot forge a line.
 */
public class RequestLog {

	/** Logger name of the request log; turn it to WARN to silence it. */
	public static final String LOGGER = "dev.spillway.gateway.request";

	private static final Logger log = LoggerFactory.getLogger(LOGGER);

	public void record(ServerWebExchange exchange, LlmExchange llm, SignalType signal, long promptTokens,
			long completionTokens) {
		if (!log.isInfoEnabled()) {
			return;
		}
		long end = System.nanoTime();
		HttpStatusCode status = exchange.getResponse().getStatusCode();
		LlmRequest request = llm.request();
		long firstToken = llm.usage() == null ? 0 : llm.usage().firstTokenNanos();
		log.info("request_id={} tenant={} pool={} backend={} model={} stream={} status={} outcome={} attempts={} "
				+ "ttft_ms={} total_ms={} prompt_tokens={} completion_tokens={}",
				llm.requestId(), llm.tenant(), llm.pool(), llm.backend(),
				request == null ? null : ModelNames.forLog(request.model()), request != null && request.stream(),
				status == null ? 0 : status.value(), llm.upstreamFailed() ? "upstream_failed"
						: llm.acceptedAsJob() ? "queued" : outcome(signal), llm.attempts(),
				firstToken == 0 ? -1 : (firstToken - llm.startNanos()) / 1_000_000,
				(end - llm.startNanos()) / 1_000_000, promptTokens, completionTokens);
	}

	private static String outcome(SignalType signal) {
		return switch (signal) {
			case ON_COMPLETE -> "completed";
			case CANCEL -> "cancelled";
			case ON_ERROR -> "failed";
			default -> signal.toString();
		};
	}

}
