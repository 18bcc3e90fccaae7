package dev.spillway.gateway.responses;

import java.util.Optional;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.PoolDefinition;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.routing.api.BackendPin;
import dev.spillway.gateway.wire.LlmOperation;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;

/**
 * Sends a request that refers to a stored response — {@code previous_response_id}, or an operation on
 * {@code /responses/{id}} — to the backend that stored it, whatever pool the route or a routing rule chose: the
 * record's pool, pinned to its backend. An id this tenant has no record of (never made through the gateway,
 * expired, another tenant's) is a 404 naming it; so is one whose backend is no longer configured. When Redis cannot
 * tell, 503 with {@code Retry-After}: guessing would reach a backend that does not hold the response. Also refuses
 * {@code background: true} on a pool where no backend serves it.
 */
class ResponseAffinityFilter implements GlobalFilter, Ordered {

	private final ResponseAffinityStore store;

	private final Pools pools;

	ResponseAffinityFilter(ResponseAffinityStore store, Pools pools) {
		this.store = store;
		this.pools = pools;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		LlmRequest request = llm == null ? null : llm.request();
		if (request == null || !request.operation().isResponses()) {
			return chain.filter(exchange);
		}
		if (request.body().path("background").asBoolean(false) && pools.pool(llm.pool())
			.backends()
			.stream()
			.noneMatch(BackendDefinition::background)) {
			return ErrorResponses.write(exchange, OpenAiError.invalidRequest("background_not_supported",
					"Background mode is not available for model '" + request.model() + "' on this gateway.",
					"background"));
		}
		String id;
		String param;
		if (request.operation() == LlmOperation.STORED_RESPONSE) {
			id = LlmOperation.storedResponseId(exchange.getRequest().getPath().value());
			param = null;
		}
		else {
			JsonNode previous = request.body().get("previous_response_id");
			id = previous != null && previous.isString() ? previous.asString() : null;
			param = "previous_response_id";
		}
		if (id == null) {
			return chain.filter(exchange);
		}
		return store.find(llm.tenant(), id)
			.map(Lookup::found)
			.onErrorReturn(Lookup.UNAVAILABLE)
			.flatMap(lookup -> {
				if (lookup == Lookup.UNAVAILABLE) {
					return unavailable(exchange);
				}
				if (lookup.home().isEmpty() || !configured(lookup.home().get())) {
					return notFound(exchange, id, param);
				}
				llm.reroute(lookup.home().get().pool(), null);
				llm.put(BackendPin.BACKEND, lookup.home().get().backend());
				return chain.filter(exchange);
			});
	}

	/** What Redis said about an id: where it lives, nothing, or that it could not be asked. */
	private record Lookup(Optional<ResponseAffinityStore.Home> home) {

		static final Lookup UNAVAILABLE = new Lookup(Optional.empty());

		static Lookup found(Optional<ResponseAffinityStore.Home> home) {
			return new Lookup(home);
		}

	}

	private boolean configured(ResponseAffinityStore.Home home) {
		PoolDefinition pool = pools.pool(home.pool());
		return pool != null && pool.backends().stream().anyMatch(backend -> backend.id().equals(home.backend()));
	}

	private static Mono<Void> notFound(ServerWebExchange exchange, String id, String param) {
		return ErrorResponses.write(exchange, new OpenAiError(HttpStatus.NOT_FOUND, OpenAiError.INVALID_REQUEST,
				"response_not_found", "No response found with id '" + id + "'.", param));
	}

	private static Mono<Void> unavailable(ServerWebExchange exchange) {
		exchange.getResponse().getHeaders().set(HttpHeaders.RETRY_AFTER, "1");
		return ErrorResponses.write(exchange, OpenAiError.server(HttpStatus.SERVICE_UNAVAILABLE, "affinity_unavailable",
				"Which backend holds this response cannot be looked up right now; retry shortly."));
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.RESPONSE_AFFINITY;
	}

}
