package dev.spillway.gateway.limit.api;

import java.util.function.Supplier;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.request.LlmExchange;

import org.springframework.web.server.ServerWebExchange;

/** What the limits publish for async jobs: admission of a job's submission. */
public interface SubmissionLimits {

	/**
	 * Admits a job submission against its tenant's limits — one request from the tenant's request bucket, refused
	 * when the daily token quota is spent; the job's tokens are charged when its call runs — then continues with
	 * {@code whenAdmitted}, on the connection's event loop. A refused submission is answered here (429, or 503 under
	 * {@code fail-closed} while Redis is away).
	 */
	Mono<Void> admitSubmission(ServerWebExchange exchange, LlmExchange llm, Supplier<Mono<Void>> whenAdmitted);

}
