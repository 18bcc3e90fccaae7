package dev.spillway.gateway.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.limit.api.SubmissionLimits;
import dev.spillway.gateway.request.AnswerSource;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;

/**
 * Accepts a request with {@code Prefer: respond-async} as a job: validated like any request, admitted against its
 * tenant's limits as one request (refused when the daily token quota is spent; its tokens are charged when the job
 * runs), stored with what routing needs (path, query such as {@code api-version}, Spillway's request headers) within
 * the tenant's caps, queued in Redis, and answered at once with 202, the job id and {@code Location}. The job is
 * worked off later by any instance's {@link JobWorkers}, at the pace the backends and the tenant's limits allow.
 */
class JobSubmissionFilter implements GlobalFilter, Ordered {

	/** Where a job's state and result are read, unless {@code spillway.jobs.status-path} moves it. */
	public static final String JOBS_PATH = "/spillway/jobs/";

	/** Request headers a job keeps, besides Spillway's own {@code x-spillway-*}: they change what the backend does. */
	static final String OPENAI_BETA = "OpenAI-Beta";

	private static final Logger log = LoggerFactory.getLogger(JobSubmissionFilter.class);

	private final JobStore store;

	private final JsonMapper json;

	private final SubmissionLimits limits;

	private final JobsProperties config;

	private final Clock clock;

	JobSubmissionFilter(JobStore store, JsonMapper json, SubmissionLimits limits, JobsProperties config, Clock clock) {
		this.store = store;
		this.json = json;
		this.limits = limits;
		this.config = config;
		this.clock = clock;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		String prefer = exchange.getRequest().getHeaders().getFirst("Prefer");
		if (llm == null || llm.request() == null || llm.get(JobTenantResolver.JOB) != null || prefer == null
				|| !prefer.contains("respond-async")) {
			return chain.filter(exchange);
		}
		LlmRequest request = llm.request();
		if (request.stream()) {
			return ErrorResponses.write(exchange, OpenAiError.invalidRequest("stream_not_supported",
					"An async job cannot stream; leave out stream or set it to false.", "stream"));
		}
		String tenant = llm.tenant();
		return limits.admitSubmission(exchange, llm, () -> queue(exchange, llm, tenant, request));
	}

	private Mono<Void> queue(ServerWebExchange exchange, LlmExchange llm, String tenant, LlmRequest request) {
		String id = "job_" + UUID.randomUUID().toString().replace("-", "");
		long now = clock.millis() / 1000;
		ServerHttpRequest http = exchange.getRequest();
		String body = new String(request.bodyBytes(), StandardCharsets.UTF_8);
		Map<String, String> fields = new LinkedHashMap<>();
		fields.put("id", id);
		fields.put("tenant", tenant);
		fields.put("status", "queued");
		fields.put("created_at", Long.toString(now));
		fields.put("path", http.getPath().value());
		fields.put("query", http.getURI().getRawQuery() == null ? "" : http.getURI().getRawQuery());
		fields.put("headers", json.writeValueAsString(keptHeaders(http.getHeaders())));
		fields.put("body", body);
		long bytes = fields.values().stream().mapToLong(value -> value.getBytes(StandardCharsets.UTF_8).length).sum();
		return EventLoops.resumeOnLoop(exchange, store.submit(tenant, id, fields, bytes, config.getMaxQueuedPerTenant(),
				config.getMaxStoredBytesPerTenant().toBytes()))
			.flatMap(verdict -> switch (verdict) {
				case ACCEPTED -> EventLoops.resumeOnLoop(exchange, store.enqueue(tenant, id))
					.then(Mono.defer(() -> accepted(exchange, llm, id, now)))
					.onErrorResume(failure -> abandon(exchange, tenant, id, failure));
				case TOO_MANY_OPEN -> queueFull(exchange, "Tenant '" + tenant + "' already has "
						+ config.getMaxQueuedPerTenant() + " unfinished jobs.");
				case STORAGE_FULL -> queueFull(exchange, "Tenant '" + tenant + "' keeps "
						+ config.getMaxStoredBytesPerTenant() + " of jobs and results already; wait for jobs to finish "
						+ "or their results to expire.");
			})
			.onErrorResume(failure -> unavailable(exchange, failure));
	}

	/** The job was stored but could not be queued: end it as failed, so it frees its place and nobody waits on it. */
	private Mono<Void> abandon(ServerWebExchange exchange, String tenant, String id, Throwable failure) {
		return store
			.finish(tenant, id, Map.of("status", "failed", "error_code", "queue_unavailable", "completed_at",
					Long.toString(clock.millis() / 1000)), 0, 0)
			.onErrorResume(ignored -> Mono.empty())
			.then(unavailable(exchange, failure));
	}

	private Map<String, String> keptHeaders(HttpHeaders headers) {
		Map<String, String> kept = new LinkedHashMap<>();
		headers.forEach((name, values) -> {
			String lower = name.toLowerCase(Locale.ROOT);
			if ((lower.startsWith("x-spillway-") && !JobCallerFilter.isJobHeader(lower))
					|| lower.equals(OPENAI_BETA.toLowerCase(Locale.ROOT))) {
				kept.put(name, String.join(",", values));
			}
		});
		return kept;
	}

	private static Mono<Void> queueFull(ServerWebExchange exchange, String message) {
		return ErrorResponses.write(exchange,
				new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "requests", "job_queue_full", message, null));
	}

	static Mono<Void> unavailable(ServerWebExchange exchange, Throwable failure) {
		log.warn("Async jobs unavailable, Redis did not answer: {}", failure.toString());
		ErrorResponses.retryAfter(exchange.getResponse().getHeaders(), 1000);
		return ErrorResponses.write(exchange, OpenAiError.server(HttpStatus.SERVICE_UNAVAILABLE, "jobs_unavailable",
				"Async jobs cannot be stored right now; nothing was queued. Please retry."));
	}

	private Mono<Void> accepted(ServerWebExchange exchange, LlmExchange llm, String id, long createdAt) {
		llm.answeredBy(AnswerSource.JOB_QUEUE);
		ObjectNode body = json.createObjectNode()
			.put("id", id)
			.put("object", "spillway.job")
			.put("status", "queued")
			.put("created_at", createdAt);
		byte[] bytes = json.writeValueAsBytes(body);
		var response = exchange.getResponse();
		response.setStatusCode(HttpStatus.ACCEPTED);
		if (config.isStatusEnabled()) {
			response.getHeaders().set(HttpHeaders.LOCATION, config.statusPathPrefix() + id);
		}
		response.getHeaders().set("Preference-Applied", "respond-async");
		response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
		response.getHeaders().setContentLength(bytes.length);
		return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.JOBS;
	}

}
