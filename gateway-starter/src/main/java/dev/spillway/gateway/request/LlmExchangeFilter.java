package dev.spillway.gateway.request;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SpillwayFilterOrders;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

/**
 * Marks requests on routes that lead to a Spillway pool by giving them an {@link LlmExchange}. Every other
 * Spillway filter acts only on marked requests, so the starter leaves a gateway's other routes alone.
 * <p>
 * It also gives each request its id: the client's {@code x-request-id} when it is a usable token (at most 128
 * letters, digits and {@code -._:}), else a new UUID. The id goes to the backend in {@code x-request-id}, comes
 * back to the client in {@code x-request-id} (a different id the backend answered with moves to
 * {@code x-backend-request-id}) and is the {@code request_id} of the request log.
 */
public class LlmExchangeFilter implements GlobalFilter, Ordered {

	/** Request and response header carrying the request's id. */
	public static final String REQUEST_ID = OpenAiHeaders.REQUEST_ID;

	/** Response header with the backend's own request id, when it differs from the request's. */
	public static final String BACKEND_REQUEST_ID = "x-backend-request-id";

	private static final int MAX_REQUEST_ID_LENGTH = 128;

	private final Pools pools;

	public LlmExchangeFilter(Pools pools) {
		this.pools = pools;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		String pool = pools.poolOf(route);
		if (pool == null) {
			return chain.filter(exchange);
		}
		String presented = exchange.getRequest().getHeaders().getFirst(REQUEST_ID);
		String id = usable(presented) ? presented
				: new UUID(ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextLong()).toString();
		exchange.getAttributes().put(LlmExchange.ATTRIBUTE, new LlmExchange(pool, id));
		ServerHttpResponse response = exchange.getResponse();
		response.beforeCommit(() -> {
			HttpHeaders headers = response.getHeaders();
			String backendId = headers.getFirst(REQUEST_ID);
			if (backendId != null && !backendId.equals(id)) {
				headers.set(BACKEND_REQUEST_ID, backendId);
			}
			headers.set(REQUEST_ID, id);
			return Mono.empty();
		});
		// The backend request carries the id (set where that request is made): the client's request is not copied
		// here only to add it.
		return chain.filter(exchange);
	}

	private static boolean usable(String id) {
		if (id == null || id.isEmpty() || id.length() > MAX_REQUEST_ID_LENGTH) {
			return false;
		}
		for (int i = 0; i < id.length(); i++) {
			char c = id.charAt(i);
			if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
					|| c == ':')) {
				return false;
			}
		}
		return true;
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.ENTRY;
	}

}
