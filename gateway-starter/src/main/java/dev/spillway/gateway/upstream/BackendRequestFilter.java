package dev.spillway.gateway.upstream;

import java.util.List;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.config.SpillwayProperties.AuthHeader;
import dev.spillway.gateway.config.SpillwayProperties.Backend;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.routing.BackendInstance;
import dev.spillway.gateway.tenant.TenantAuthenticationFilter;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;

/**
 * Turns the client's request into the chosen backend's: its URL and form, its credentials (the client's never
 * leave the gateway), and the kept body. Runs right after the load balancer has chosen, on every attempt.
 */
public class BackendRequestFilter implements GlobalFilter, Ordered {

	/** Headers addressed to the gateway itself, never forwarded. */
	static final String SPILLWAY_HEADER_PREFIX = "x-spillway-";

	private final BackendRequests requests;

	public BackendRequestFilter(BackendRequests requests) {
		this.requests = requests;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		Response<ServiceInstance> chosen = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR);
		if (llm == null || llm.request() == null || chosen == null
				|| !(chosen.getServer() instanceof BackendInstance instance)) {
			return chain.filter(exchange);
		}
		Backend backend = instance.backend();
		LlmRequest request = llm.request();
		llm.backend(backend.getId());
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, requests.url(backend, request));
		byte[] body = requests.body(backend, request);
		ServerHttpRequest withHeaders = exchange.getRequest().mutate().headers(headers -> {
			headers.remove(HttpHeaders.AUTHORIZATION);
			headers.remove(TenantAuthenticationFilter.API_KEY_HEADER);
			headers.remove(HttpHeaders.TRANSFER_ENCODING);
			List.copyOf(headers.headerNames())
				.stream()
				.filter(name -> name.regionMatches(true, 0, SPILLWAY_HEADER_PREFIX, 0, SPILLWAY_HEADER_PREFIX.length()))
				.forEach(headers::remove);
			// Plain bytes from upstream: streams are relayed and read event by event, never re-compressed.
			headers.set(HttpHeaders.ACCEPT_ENCODING, "identity");
			headers.setContentLength(body.length);
			if (backend.getApiKey() != null) {
				if (backend.effectiveAuthHeader() == AuthHeader.API_KEY) {
					headers.set(TenantAuthenticationFilter.API_KEY_HEADER, backend.getApiKey());
				}
				else {
					headers.setBearerAuth(backend.getApiKey());
				}
			}
		}).build();
		DataBufferFactory buffers = exchange.getResponse().bufferFactory();
		ServerHttpRequest withBody = new ServerHttpRequestDecorator(withHeaders) {
			@Override
			public Flux<DataBuffer> getBody() {
				return Flux.defer(() -> Flux.just(buffers.wrap(body)));
			}
		};
		return chain.filter(exchange.mutate().request(withBody).build());
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.BACKEND_REQUEST;
	}

}
