package dev.spillway.gateway.streaming;

import java.time.Duration;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.limit.RateLimitHeaders;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.upstream.HeaderAllowList;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * Wraps the response of every Spillway request before {@code NettyWriteResponseFilter} writes it, so every byte
 * passes through {@link RelayingResponse}; gives the response the tenant's rate-limit headers as it commits; and
 * hands the request to {@link RequestSettlement} when the body has ended: completed, failed or cancelled.
 */
public class StreamingResponseFilter implements GlobalFilter, Ordered {

	private final Duration idleTimeout;

	private final JsonMapper json;

	private final RequestSettlement settlement;

	private final int maxEventBytes;

	private final int maxKeptAnswerLength;

	public StreamingResponseFilter(Duration idleTimeout, JsonMapper json, RequestSettlement settlement,
			int maxEventBytes, int maxKeptAnswerLength) {
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
		llm.usage(new UsageCollector(json, maxKeptAnswerLength,
				() -> llm.request() == null ? null : llm.request().encoding()));
		RelayingResponse response = new RelayingResponse(exchange.getResponse(), llm, idleTimeout, maxEventBytes);
		response.beforeCommit(() -> {
			RateLimitHeaders.replace(response.getHeaders(), llm.admission());
			HttpStatusCode status = response.getStatusCode();
			if (status == null || !status.isError()) {
				// A backend's hint from a failed attempt, or on a success: not the client's to act on.
				HeaderAllowList.RETRY_HINTS.forEach(response.getHeaders()::remove);
			}
			return Mono.empty();
		});
		return chain.filter(exchange.mutate().response(response).build())
			.onErrorResume(RelayingResponse.RelayedFailure.class, reported -> Mono.empty())
			.doFinally(signal -> settlement.settle(exchange, llm, signal));
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.RESPONSE;
	}

}
