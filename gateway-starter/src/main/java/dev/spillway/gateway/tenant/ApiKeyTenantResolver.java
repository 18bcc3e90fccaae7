package dev.spillway.gateway.tenant;

import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.TenantResolver;

import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/** Recognises a tenant by the API key its client presents ({@code Authorization: Bearer}, then {@code api-key}). */
class ApiKeyTenantResolver implements TenantResolver {

	/** After the job worker's credential, which is checked first. */
	static final int ORDER = 100;

	private static final String BEARER = "bearer ";

	private final TenantDirectory directory;

	ApiKeyTenantResolver(TenantDirectory directory) {
		this.directory = directory;
	}

	@Override
	public String resolve(ServerWebExchange exchange, LlmExchange llm) {
		return directory.tenantFor(presentedKey(exchange.getRequest().getHeaders()));
	}

	/** The key a client presents, {@code Authorization: Bearer} first, then {@code api-key}; or {@code null}. */
	static String presentedKey(HttpHeaders headers) {
		String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
		if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
			String key = authorization.substring(BEARER.length()).trim();
			if (!key.isEmpty()) {
				return key;
			}
		}
		String apiKey = headers.getFirst(OpenAiHeaders.API_KEY);
		return apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

}
