package dev.spillway.gateway.upstream;

import java.util.List;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.request.BackendRequests;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;

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
class BackendRequestFilter implements GlobalFilter, Ordered {

	private final BackendRequests requests;

	BackendRequestFilter(BackendRequests requests) {
		this.requests = requests;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		Response<ServiceInstance> chosen = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR);
		BackendDefinition backend = llm == null ? null : llm.backend();
		if (backend == null || llm.request() == null || chosen == null || chosen.getServer() == null) {
			return chain.filter(exchange);
		}
		LlmRequest request = llm.request();
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, requests.url(backend, request));
		byte[] body = requests.body(backend, request);
		ServerHttpRequest withHeaders = exchange.getRequest().mutate().headers(headers -> {
			headers.remove(HttpHeaders.AUTHORIZATION);
			headers.remove(OpenAiHeaders.API_KEY);
			headers.remove(HttpHeaders.TRANSFER_ENCODING);
			List.copyOf(headers.headerNames())
				.stream()
				.filter(name -> name.regionMatches(true, 0, OpenAiHeaders.SPILLWAY_PREFIX, 0,
					OpenAiHeaders.SPILLWAY_PREFIX.length()))
				.forEach(headers::remove);
			// Plain bytes from upstream: streams are relayed and read event by event, never re-compressed.
			headers.set(HttpHeaders.ACCEPT_ENCODING, "identity");
			headers.setContentLength(body.length);
			headers.set(OpenAiHeaders.REQUEST_ID, llm.requestId());
			BackendRequests.Credentials credentials = BackendRequests.credentials(backend);
			if (credentials != null) {
				headers.set(credentials.header(), credentials.value());
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
