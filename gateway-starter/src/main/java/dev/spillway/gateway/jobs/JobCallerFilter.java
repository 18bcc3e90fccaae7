package dev.spillway.gateway.jobs;

import java.net.InetSocketAddress;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Recognises this instance's job workers calling their own gateway, on every route (not only Spillway's): a request
 * that carries this process's {@link JobToken} over a loopback connection has its job's tenant and id recorded in
 * exchange attributes; the job headers are removed from every request, whoever sent them, so they never reach a
 * backend or another route. The loopback check is defence in depth: behind a sidecar every connection is loopback,
 * so the token's secrecy (random per process, never logged or sent elsewhere) is the real control.
 */
class JobCallerFilter implements WebFilter, Ordered {

	/** Exchange attribute: the tenant a job worker's call runs for. */
	public static final String TENANT_ATTRIBUTE = JobCallerFilter.class.getName() + ".tenant";

	/** Exchange attribute: the id of the job a worker's call runs. */
	public static final String JOB_ATTRIBUTE = JobCallerFilter.class.getName() + ".job";

	/** Header naming the job a worker's call runs. */
	public static final String JOB_HEADER = "x-spillway-job-id";

	private final JobToken token;

	public JobCallerFilter(JobToken token) {
		this.token = token;
	}

	static boolean isJobHeader(String lowerCaseName) {
		return lowerCaseName.equals(JobToken.TOKEN_HEADER) || lowerCaseName.equals(JobToken.TENANT_HEADER)
				|| lowerCaseName.equals(JOB_HEADER);
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		HttpHeaders headers = exchange.getRequest().getHeaders();
		if (!headers.containsHeader(JobToken.TOKEN_HEADER) && !headers.containsHeader(JobToken.TENANT_HEADER)
				&& !headers.containsHeader(JOB_HEADER)) {
			return chain.filter(exchange);
		}
		String tenant = headers.getFirst(JobToken.TENANT_HEADER);
		String job = headers.getFirst(JOB_HEADER);
		if (token.matches(headers.getFirst(JobToken.TOKEN_HEADER)) && fromLoopback(exchange) && tenant != null
				&& job != null) {
			exchange.getAttributes().put(TENANT_ATTRIBUTE, tenant);
			exchange.getAttributes().put(JOB_ATTRIBUTE, job);
		}
		return chain.filter(exchange.mutate()
			.request(request -> request.headers(h -> {
				h.remove(JobToken.TOKEN_HEADER);
				h.remove(JobToken.TENANT_HEADER);
				h.remove(JOB_HEADER);
			}))
			.build());
	}

	private static boolean fromLoopback(ServerWebExchange exchange) {
		InetSocketAddress remote = exchange.getRequest().getRemoteAddress();
		return remote != null && remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 10;
	}

}
