package dev.spillway.gateway.streaming;

import java.time.Duration;

import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.observability.RequestLog;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.routing.BackendCall;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Wraps the response of every Spillway request before {@code NettyWriteResponseFilter} writes it, so every byte
 * passes through {@link RelayingResponse}, and settles the request (its log line) when the body has ended:
 * completed, failed or cancelled.
 */
public class StreamingResponseFilter implements GlobalFilter, Ordered {

	private final Duration idleTimeout;

	private final RequestLog requestLog;

	public StreamingResponseFilter(Duration idleTimeout, RequestLog requestLog) {
		this.idleTimeout = idleTimeout;
		this.requestLog = requestLog;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null) {
			return chain.filter(exchange);
		}
		RelayingResponse response = new RelayingResponse(exchange.getResponse(), llm, idleTimeout);
		return chain.filter(exchange.mutate().response(response).build())
			.onErrorResume(RelayingResponse.RelayedFailure.class, reported -> Mono.empty())
			.doFinally(signal -> {
				settleBackendCall(llm, signal);
				requestLog.record(exchange, llm, signal);
			});
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

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.RESPONSE;
	}

}
