package dev.spillway.gateway.request;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.routing.PoolRegistry;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Marks requests on routes that lead to a Spillway pool by giving them an {@link LlmExchange}. Every other
 * Spillway filter acts only on marked requests, so the starter leaves a gateway's other routes alone.
 */
public class LlmExchangeFilter implements GlobalFilter, Ordered {

	private final PoolRegistry pools;

	public LlmExchangeFilter(PoolRegistry pools) {
		this.pools = pools;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		String pool = pools.poolOf(route);
		if (pool != null) {
			exchange.getAttributes().put(LlmExchange.ATTRIBUTE, new LlmExchange(pool));
		}
		return chain.filter(exchange);
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.ENTRY;
	}

}
