package dev.spillway.gateway.streaming;

import reactor.core.publisher.SignalType;

import dev.spillway.gateway.cache.PendingStore;
import dev.spillway.gateway.cache.ResponseCache;
import dev.spillway.gateway.idempotency.IdempotencyCompletion;
import dev.spillway.gateway.limit.Admission;
import dev.spillway.gateway.limit.TenantLimiter;
import dev.spillway.gateway.observability.RequestLog;
import dev.spillway.gateway.observability.UsageMetrics;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.routing.BackendCall;

import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * Everything that happens once an answer's body has ended — completed, failed or cancelled: the backend's circuit
 * breaker learns the outcome, the tenant is charged what was really used, usage and cost are counted, and the
 * request's log line is written.
 * <p>
 * What was used: the answer's {@code usage} when it reported one; otherwise, for a successful answer cut short
 * (a broken stream, a client that went away), the prompt's tokens plus the streamed text counted with the
 * tokenizer as it went by — never zero; for an answer that failed before it began (an error status), nothing.
 */
public class RequestSettlement {

	private final TenantLimiter limiter;

	private final UsageMetrics metrics;

	private final RequestLog requestLog;

	private final ResponseCache cache;

	private final IdempotencyCompletion idempotency;

	public RequestSettlement(TenantLimiter limiter, UsageMetrics metrics, RequestLog requestLog, ResponseCache cache,
			IdempotencyCompletion idempotency) {
		this.limiter = limiter;
		this.metrics = metrics;
		this.requestLog = requestLog;
		this.cache = cache;
		this.idempotency = idempotency;
	}

	public void settle(ServerWebExchange exchange, LlmExchange llm, SignalType signal) {
		settleBackendCall(llm, signal);
		HttpStatusCode status = exchange.getResponse().getStatusCode();
		Used used = used(llm, status);
		Admission admission = llm.admission();
		if (admission != null) {
			limiter.settle(admission, used.prompt + used.completion);
		}
		storeInCache(llm, status, signal);
		idempotency.settle(llm, status, signal);
		metrics.record(llm, status, signal, used.prompt, used.completion);
		requestLog.record(exchange, llm, signal, used.prompt, used.completion);
	}

	/** Stores a cache miss's answer when it is complete, successful, plain text, kept whole and not filtered. */
	private void storeInCache(LlmExchange llm, HttpStatusCode status, SignalType signal) {
		PendingStore pending = llm.pendingStore();
		UsageCollector usage = llm.usage();
		if (cache == null || pending == null || usage == null || signal != SignalType.ON_COMPLETE || status == null
				|| status.value() != 200 || llm.upstreamFailed() || !usage.complete() || !usage.answerKept()
				|| usage.toolCalls()
				|| "content_filter".equals(usage.finishReason())) {
			return;
		}
		cache.store(pending.scope(), pending.keys(), usage.toEntry(llm.request().model(), true), pending.ttl(),
				pending.vector());
	}

	private static Used used(LlmExchange llm, HttpStatusCode status) {
		if (llm.servedFromCache() || llm.acceptedAsJob()) {
			return new Used(0, 0);
		}
		UsageCollector usage = llm.usage();
		LlmRequest request = llm.request();
		if (usage != null && usage.hasUsage()) {
			return new Used(usage.promptTokens(), usage.completionTokens());
		}
		boolean answered = status == null || status.is2xxSuccessful();
		if (request == null || !answered) {
			return new Used(0, 0);
		}
		long completion = usage == null ? 0 : usage.streamedTokens();
		return new Used(request.promptTokens(), completion);
	}

	private static void settleBackendCall(LlmExchange llm, SignalType signal) {
		BackendCall call = llm.backendCall();
		if (call == null) {
			return;
		}
		if (llm.upstreamFailed() || signal == SignalType.ON_ERROR) {
			call.failed(new IllegalStateException("the answer failed before it was complete"));
		}
		else if (signal == SignalType.CANCEL) {
			call.released();
		}
		else {
			call.succeeded();
		}
	}

	private record Used(long prompt, long completion) {
	}

}
