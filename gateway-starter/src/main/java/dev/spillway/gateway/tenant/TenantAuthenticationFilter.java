package dev.spillway.gateway.tenant;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.jobs.JobCallerFilter;
import dev.spillway.gateway.request.LlmExchange;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Authenticates the caller of a Spillway route the way OpenAI and Azure clients present keys:
 * {@code Authorization: Bearer <key>} or {@code api-key: <key>}. A missing or unknown key ends the request
 * with 401. The client's credentials are removed here so they can never reach a backend. A job worker's call is
 * recognised earlier by {@link JobCallerFilter} and runs as the job's tenant.
 */
public class TenantAuthenticationFilter implements GlobalFilter, Ordered {

	/** Exchange attribute holding the authenticated tenant id, for filters and logs outside Spillway. */
	public static final String TENANT_ATTRIBUTE = "spillway.tenant";

	/** Azure's key header, accepted from clients. */
	public static final String API_KEY_HEADER = "api-key";

	private static final String BEARER = "bearer ";

	private final TenantDirectory directory;

	public TenantAuthenticationFilter(TenantDirectory directory) {
		this.directory = directory;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null) {
			return chain.filter(exchange);
		}
		HttpHeaders headers = exchange.getRequest().getHeaders();
		String jobTenant = exchange.getAttribute(JobCallerFilter.TENANT_ATTRIBUTE);
		if (jobTenant != null && directory.hasTenant(jobTenant)) {
			llm.jobExecution(exchange.getAttribute(JobCallerFilter.JOB_ATTRIBUTE));
			return authenticated(exchange, chain, llm, jobTenant);
		}
		String key = presentedKey(headers);
		if (key == null) {
			return ErrorResponses.write(exchange, OpenAiError.invalidApiKey(
					"No API key provided. Send it as 'Authorization: Bearer <key>' or 'api-key: <key>'."));
		}
		String tenant = directory.tenantFor(key);
		if (tenant == null) {
			return ErrorResponses.write(exchange, OpenAiError.invalidApiKey("Incorrect API key provided."));
		}
		return authenticated(exchange, chain, llm, tenant);
	}

	private Mono<Void> authenticated(ServerWebExchange exchange, GatewayFilterChain chain, LlmExchange llm,
			String tenant) {
		llm.tenant(tenant);
		exchange.getAttributes().put(TENANT_ATTRIBUTE, tenant);
		ServerWebExchange withoutCredentials = exchange.mutate()
			.request(r -> r.headers(h -> {
				h.remove(HttpHeaders.AUTHORIZATION);
				h.remove(API_KEY_HEADER);
			}))
			.build();
		return chain.filter(withoutCredentials);
	}

	/** The key a client presents, {@code Authorization: Bearer} first, then {@code api-key}; or {@code null}. */
	public static String presentedKey(HttpHeaders headers) {
		String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
		if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
			String key = authorization.substring(BEARER.length()).trim();
			if (!key.isEmpty()) {
				return key;
			}
		}
		String apiKey = headers.getFirst(API_KEY_HEADER);
		return apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.TENANT_AUTHENTICATION;
	}

}
