package dev.spillway.gateway.jobs;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.request.TenantResolver;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * {@code GET /spillway/jobs/{id}} (or {@code spillway.jobs.status-path}): a job's state (queued, running, succeeded,
 * failed) and, when done, its result, or the reason Spillway could not keep one ({@code error}).
 * Authenticated like every Spillway request; a tenant only ever sees its own jobs (another tenant's id is 404).
 */
class JobEndpoint {

	private final JobStore store;

	private final List<TenantResolver> tenants;

	private final JsonMapper json;

	JobEndpoint(JobStore store, List<TenantResolver> tenants, JsonMapper json) {
		this.store = store;
		this.tenants = List.copyOf(tenants);
		this.json = json;
	}

	Mono<ServerResponse> get(ServerRequest request) {
		String tenant = tenants.stream()
			.map(resolver -> resolver.resolve(request.exchange(), null))
			.filter(Objects::nonNull)
			.findFirst()
			.orElse(null);
		if (tenant == null) {
			return error(OpenAiError.invalidApiKey("Incorrect or missing API key."));
		}
		String id = request.pathVariable("id");
		return store.get(tenant, id)
			.flatMap(fields -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(view(fields)))
			.switchIfEmpty(Mono.defer(() -> error(new OpenAiError(HttpStatus.NOT_FOUND, OpenAiError.INVALID_REQUEST,
					"job_not_found", "No job '" + id + "'.", null))))
			.onErrorResume(failure -> ServerResponse.status(HttpStatus.SERVICE_UNAVAILABLE)
				.contentType(MediaType.APPLICATION_JSON)
				.header(HttpHeaders.CACHE_CONTROL, "no-store")
				.header(HttpHeaders.RETRY_AFTER, "1")
				.bodyValue(ErrorResponses.body(OpenAiError.server(HttpStatus.SERVICE_UNAVAILABLE, "jobs_unavailable",
						"Jobs cannot be read right now. Please retry."))));
	}

	private byte[] view(Map<String, String> fields) {
		ObjectNode view = json.createObjectNode()
			.put("id", fields.get("id"))
			.put("object", "spillway.job")
			.put("status", fields.get("status"))
			.put("created_at", Long.parseLong(fields.getOrDefault("created_at", "0")));
		if (fields.containsKey("completed_at")) {
			view.put("completed_at", Long.parseLong(fields.get("completed_at")));
		}
		if (fields.containsKey("error_code")) {
			view.putObject("error")
				.put("code", fields.get("error_code"))
				.put("message", fields.getOrDefault("error_message", ""));
		}
		if (fields.containsKey("result_status")) {
			ObjectNode result = view.putObject("result").put("status", Integer.parseInt(fields.get("result_status")));
			String body = fields.getOrDefault("result_body", "");
			try {
				result.set("body", json.readTree(body));
			}
			catch (JacksonException ex) {
				result.put("body", body);
			}
		}
		return json.writeValueAsBytes(view);
	}

	private static Mono<ServerResponse> error(OpenAiError error) {
		return ServerResponse.status(error.status())
			.contentType(MediaType.APPLICATION_JSON)
			.header(HttpHeaders.CACHE_CONTROL, "no-store")
			.bodyValue(ErrorResponses.body(error));
	}

}
