package dev.spillway.gateway.jobs;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.server.ServerWebExchange;

/**
 * Accepts a request with {@code Prefer: respond-async} as a job: validated like any request, queued in Redis, and
 * answered at once with 202, the job id and {@code Location: /spillway/jobs/{id}}. The job is worked off later by
 * any instance's {@link JobWorkers}, at the pace the backends and the tenant's limits allow.
 */
public class JobSubmissionFilter implements GlobalFilter, Ordered {

	/** Where a job's state and result are read. */
	public static final String JOBS_PATH = "/spillway/jobs/";

	private final JobStore store;

	private final JsonMapper json;

	private final int maxQueuedPerTenant;

	public JobSubmissionFilter(JobStore store, JsonMapper json, int maxQueuedPerTenant) {
		this.store = store;
		this.json = json;
		this.maxQueuedPerTenant = maxQueuedPerTenant;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		String prefer = exchange.getRequest().getHeaders().getFirst("Prefer");
		if (llm == null || llm.request() == null || prefer == null || !prefer.contains("respond-async")) {
			return chain.filter(exchange);
		}
		LlmRequest request = llm.request();
		if (request.stream()) {
			return ErrorResponses.write(exchange, OpenAiError.invalidRequest("stream_not_supported",
					"An async job cannot stream; leave out stream or set it to false.", "stream"));
		}
		String tenant = llm.tenant();
		String id = "job_" + UUID.randomUUID().toString().replace("-", "");
		long now = System.currentTimeMillis() / 1000;
		Map<String, String> fields = Map.of("id", id, "tenant", tenant, "status", "queued", "created_at",
				Long.toString(now), "path", exchange.getRequest().getPath().value(), "body",
				new String(request.bodyBytes(), StandardCharsets.UTF_8));
		return store.reserveSlot(tenant, maxQueuedPerTenant)
			.flatMap(slot -> store.enqueue(tenant, id, fields).then(Mono.defer(() -> accepted(exchange, id, now))))
			.switchIfEmpty(Mono.defer(() -> ErrorResponses.write(exchange, new OpenAiError(HttpStatus.TOO_MANY_REQUESTS,
					"requests", "job_queue_full", "Tenant '" + tenant + "' already has " + maxQueuedPerTenant
							+ " unfinished jobs.", null))));
	}

	private Mono<Void> accepted(ServerWebExchange exchange, String id, long createdAt) {
		ObjectNode body = json.createObjectNode()
			.put("id", id)
			.put("object", "spillway.job")
			.put("status", "queued")
			.put("created_at", createdAt);
		byte[] bytes = json.writeValueAsBytes(body);
		var response = exchange.getResponse();
		response.setStatusCode(HttpStatus.ACCEPTED);
		response.getHeaders().set(HttpHeaders.LOCATION, JOBS_PATH + id);
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
