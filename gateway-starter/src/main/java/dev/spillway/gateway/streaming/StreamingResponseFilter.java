package dev.spillway.gateway.streaming;

import java.time.Duration;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.KnownUsage;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.StreamContinuation;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Wraps the response of every Spillway request before {@code NettyWriteResponseFilter} writes it, so every byte
 * passes through {@link RelayingResponse}, which reads the answer for the request's {@link LlmExchange#answer()};
 * hands the request to {@link RequestSettlement} when the body has ended: completed, failed or cancelled.
 */
class StreamingResponseFilter implements GlobalFilter, Ordered {

	private final Duration idleTimeout;

	private final JsonMapper json;

	private final RequestSettlement settlement;

	private final int maxEventBytes;

	private final int maxKeptAnswerLength;

	private final StreamContinuation continuation;

	/** @param continuation continues broken streams on another backend; {@code null}: they end with an error event */
	StreamingResponseFilter(Duration idleTimeout, JsonMapper json, RequestSettlement settlement, int maxEventBytes,
			int maxKeptAnswerLength, StreamContinuation continuation) {
		this.continuation = continuation;
		this.idleTimeout = idleTimeout;
		this.maxEventBytes = maxEventBytes;
		this.maxKeptAnswerLength = maxKeptAnswerLength;
		this.json = json;
		this.settlement = settlement;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null) {
			return chain.filter(exchange);
		}
		UsageCollector usage = new UsageCollector(json, maxKeptAnswerLength,
				() -> llm.request() == null ? null : llm.request().encoding(),
				() -> llm.request() == null ? null : llm.request().operation().format(),
				(prompt, completion, cached, reasoning) -> settlement
					.usageKnown(new KnownUsage(llm, prompt, completion, cached, reasoning)));
		usage.onIdentified(id -> settlement.answerIdentified(llm, id));
		llm.answer(usage);
		RelayingResponse response = new RelayingResponse(exchange.getResponse(), llm, usage, idleTimeout,
				maxEventBytes, hold -> EventLoops.resumeOnLoop(exchange, hold), continuation, json);
		return chain.filter(exchange.mutate().response(response).build())
			.onErrorResume(RelayingResponse.RelayedFailure.class, reported -> Mono.empty())
			.doFinally(signal -> settlement.settle(exchange, llm, signal));
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.RESPONSE;
	}

}
