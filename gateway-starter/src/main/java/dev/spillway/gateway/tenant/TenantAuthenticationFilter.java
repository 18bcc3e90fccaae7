package dev.spillway.gateway.tenant;

import java.util.List;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.core.Tenants;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.TenantResolver;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Authenticates the caller of a Spillway route: the first {@link TenantResolver} that recognises the request
 * decides its tenant (the API key the way OpenAI and Azure clients present it, {@code Authorization: Bearer <key>}
 * or {@code api-key: <key>}; a job worker's credential). A request none recognises ends with 401. The client's
 * credentials are removed here so they can never reach a backend.
 */
class TenantAuthenticationFilter implements GlobalFilter, Ordered {

	/** Exchange attribute holding the authenticated tenant id, for filters and logs outside Spillway. */
	static final String TENANT_ATTRIBUTE = "spillway.tenant";

	private final List<TenantResolver> resolvers;

	private final Tenants tenants;

	TenantAuthenticationFilter(List<TenantResolver> resolvers, Tenants tenants) {
		this.resolvers = List.copyOf(resolvers);
		this.tenants = tenants;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null) {
			return chain.filter(exchange);
		}
		for (TenantResolver resolver : resolvers) {
			String tenant = resolver.resolve(exchange, llm);
			if (tenant != null && tenants.tenant(tenant) != null) {
				return authenticated(exchange, chain, llm, tenant);
			}
		}
		String message = ApiKeyTenantResolver.presentedKey(exchange.getRequest().getHeaders()) == null
				? "No API key provided. Send it as 'Authorization: Bearer <key>' or 'api-key: <key>'."
				: "Incorrect API key provided.";
		return ErrorResponses.write(exchange, OpenAiError.invalidApiKey(message));
	}

	private Mono<Void> authenticated(ServerWebExchange exchange, GatewayFilterChain chain, LlmExchange llm,
			String tenant) {
		llm.tenant(tenant, tenants.tierOf(tenant));
		exchange.getAttributes().put(TENANT_ATTRIBUTE, tenant);
		ServerWebExchange withoutCredentials = exchange.mutate()
			.request(r -> r.headers(h -> {
				h.remove(HttpHeaders.AUTHORIZATION);
				h.remove(OpenAiHeaders.API_KEY);
			}))
			.build();
		return chain.filter(withoutCredentials);
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.TENANT_AUTHENTICATION;
	}

}
