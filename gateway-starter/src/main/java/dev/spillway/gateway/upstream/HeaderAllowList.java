package dev.spillway.gateway.upstream;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.request.LlmExchange;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * Lets only listed headers cross the gateway on Spillway routes, in one direction: client to backend (the client's
 * {@code OpenAI-Organization} or {@code Cookie} must not choose what the operator's key is billed to or carry state
 * upstream) or backend to client (a backend's {@code openai-organization}, {@code x-ms-region},
 * {@code apim-request-id} or {@code set-cookie} describe the operator's account, not the tenant's request).
 * <p>
 * Applied by Spring Cloud Gateway's {@code NettyRoutingFilter} to the headers it sends upstream and to the headers
 * the backend answered with, before any other filter sees them; ordered last, so headers other header filters add
 * (e.g. {@code X-Forwarded-*}) must be listed too. Names ending in {@code *} match by prefix; case does not matter.
 * Headers Spillway itself sets or reads always pass. A backend's {@code x-ratelimit-*} never pass (they describe a
 * deployment every tenant shares; clients get their tenant's, and routing reads the backend's from the backend's
 * own answer), and its retry hints pass on error answers only.
 */
final class HeaderAllowList implements HttpHeadersFilter, Ordered {

	/** Headers Spillway sets on the backend request itself: the backend's credentials, the request id, framing. */
	static final Set<String> SET_BY_SPILLWAY = Set.of("authorization", "api-key", "x-request-id", "content-length",
			"accept-encoding", "host");

	/**
	 * Backend headers that always reach the answer: the backend's request id (moved to {@code x-backend-request-id})
	 * and framing.
	 */
	static final Set<String> READ_BY_SPILLWAY = Set.of("x-request-id", "content-length", "transfer-encoding",
			"content-encoding");

	/** Retry hints: they belong on error answers only. */
	static final Set<String> RETRY_HINTS = Set.of("retry-after", OpenAiHeaders.RETRY_AFTER_MS,
			OpenAiHeaders.MS_RETRY_AFTER_MS);

	private static final String RATE_LIMIT_PREFIX = "x-ratelimit-";

	private final Type type;

	private final Set<String> names;

	private final List<String> prefixes;

	private final Set<String> always;

	private HeaderAllowList(Type type, List<String> allowed, Set<String> always) {
		this.type = type;
		this.names = allowed.stream()
			.filter(name -> !name.endsWith("*"))
			.map(name -> name.toLowerCase(Locale.ROOT))
			.collect(Collectors.toUnmodifiableSet());
		this.prefixes = allowed.stream()
			.filter(name -> name.endsWith("*"))
			.map(name -> name.substring(0, name.length() - 1).toLowerCase(Locale.ROOT))
			.toList();
		this.always = always;
	}

	/** The headers of a client request that may reach a backend. */
	static HeaderAllowList toBackends(List<String> allowed) {
		return new HeaderAllowList(Type.REQUEST, allowed, SET_BY_SPILLWAY);
	}

	/** The headers of a backend's answer that may reach the client. */
	static HeaderAllowList toClients(List<String> allowed) {
		return new HeaderAllowList(Type.RESPONSE, allowed, READ_BY_SPILLWAY);
	}

	@Override
	public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
		if (LlmExchange.of(exchange) == null) {
			return input;
		}
		HttpHeaders kept = new HttpHeaders();
		HttpStatusCode status = exchange.getResponse().getStatusCode();
		boolean error = status != null && status.isError();
		input.forEach((name, values) -> {
			String lowerCase = name.toLowerCase(Locale.ROOT);
			if (type == Type.RESPONSE && RETRY_HINTS.contains(lowerCase)) {
				if (error && passes(lowerCase)) {
					kept.addAll(name, values);
				}
			}
			else if (passes(lowerCase)) {
				kept.addAll(name, values);
			}
		});
		return kept;
	}

	private boolean passes(String name) {
		if (always.contains(name)) {
			return true;
		}
		if (type == Type.RESPONSE && name.startsWith(RATE_LIMIT_PREFIX)) {
			// The backend's limits describe a deployment every tenant shares: never the tenant's business.
			return false;
		}
		if (names.contains(name)) {
			return true;
		}
		for (String prefix : prefixes) {
			if (name.startsWith(prefix)) {
				return true;
			}
		}
		return false;
	}

	@Override
	public boolean supports(Type type) {
		return this.type == type;
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
