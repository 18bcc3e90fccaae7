package dev.spillway.gateway.request;

import java.util.LinkedHashSet;
import java.util.Set;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.PoolDefinition;
import dev.spillway.gateway.core.PoolModels;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.wire.StoredAnswers;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.web.server.ServerWebExchange;

/**
 * {@code GET .../models} and {@code GET .../models/{id}} on a Spillway route (OpenAI's {@code /v1/models}, Azure's
 * {@code /openai/v1/models}), answered by the gateway in OpenAI's list form: the model names of every pool a Spillway
 * route leads to — a pool's {@code models}, or for a pool that takes any name ({@code "*"}, or none listed) its
 * backends' fixed deployments and models. Never sent to a backend: which backend would answer is the gateway's
 * business, and the client should see the names it may ask for here.
 */
public final class ModelListFilter implements GlobalFilter, Ordered {

	private static final String MODELS = "/models";

	private final Pools pools;

	private final ObjectProvider<RouteLocator> routes;

	private final JsonMapper json;

	public ModelListFilter(Pools pools, ObjectProvider<RouteLocator> routes, JsonMapper json) {
		this.pools = pools;
		this.routes = routes;
		this.json = json;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		if (LlmExchange.of(exchange) == null) {
			return chain.filter(exchange);
		}
		String path = exchange.getRequest().getPath().value();
		if (path.endsWith("/")) {
			path = path.substring(0, path.length() - 1);
		}
		int models = path.lastIndexOf(MODELS);
		if (models < 0) {
			return chain.filter(exchange);
		}
		String rest = path.substring(models + MODELS.length());
		if (!rest.isEmpty() && (rest.charAt(0) != '/' || rest.indexOf('/', 1) >= 0)) {
			return chain.filter(exchange);
		}
		if (!HttpMethod.GET.equals(exchange.getRequest().getMethod())) {
			return ErrorResponses.write(exchange, OpenAiError.methodNotAllowed(exchange.getRequest().getMethod().name()));
		}
		String id = rest.isEmpty() ? null : rest.substring(1);
		return listed().flatMap(names -> {
			if (id == null) {
				ObjectNode list = json.createObjectNode().put("object", "list");
				ArrayNode data = list.putArray("data");
				names.forEach(name -> data.add(model(name)));
				return StoredAnswers.writeJson(exchange.getResponse(), json.writeValueAsBytes(list));
			}
			return names.contains(id) ? StoredAnswers.writeJson(exchange.getResponse(), json.writeValueAsBytes(model(id)))
					: ErrorResponses.write(exchange, OpenAiError.modelNotFound(id));
		});
	}

	/** The names, in route and configuration order. */
	private Mono<Set<String>> listed() {
		RouteLocator locator = routes.getIfAvailable();
		if (locator == null) {
			return Mono.just(Set.of());
		}
		return locator.getRoutes().mapNotNull(pools::poolOf).distinct().collectList().map(reached -> {
			Set<String> names = new LinkedHashSet<>();
			for (String pool : reached) {
				PoolDefinition definition = pools.pool(pool);
				boolean anyName = definition.models().isEmpty() || definition.models().contains(PoolModels.ANY);
				definition.models().stream().filter(name -> !PoolModels.ANY.equals(name)).forEach(names::add);
				if (anyName) {
					for (BackendDefinition backend : definition.backends()) {
						String fixed = backend.modelAtBackend(null);
						if (fixed != null) {
							names.add(fixed);
						}
					}
				}
			}
			return names;
		});
	}

	private ObjectNode model(String name) {
		return json.createObjectNode().put("id", name).put("object", "model").put("created", 0).put("owned_by", "spillway");
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.MODEL_LIST;
	}

}
