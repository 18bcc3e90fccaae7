package dev.spillway.gateway.limit;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.request.Slot;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Admits a request against its tenant's limits before anything is sent upstream: the prompt's tokens (counted
 * with the real tokenizer) plus the completion it reserves, and one request (none for a job's call: its submission
 * took it). Over a per-minute limit: 429 {@code rate_limit_exceeded} with {@code Retry-After}; over the daily
 * quota: 429 {@code daily_quota_exceeded} with the time until it renews; limits unavailable under
 * {@code fail-closed}: 503. The answer carries the tenant's {@code x-ratelimit-*} headers.
 */
class LimitFilter implements GlobalFilter, Ordered {

	/** The request's admission, settled against its real usage when the answer has ended. */
	static final Slot<Admission> ADMISSION = Slot.named("limit.admission");

	private final LimitPlans plans;

	private final TenantLimiter limiter;

	private final LimitRejection rejection;

	LimitFilter(LimitPlans plans, TenantLimiter limiter, LimitRejection rejection) {
		this.plans = plans;
		this.limiter = limiter;
		this.rejection = rejection;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null || llm.request() == null || llm.tenant() == null) {
			return chain.filter(exchange);
		}
		LlmRequest request = llm.request();
		LimitPlan plan = plans.plan(llm.tenant(), request.model());
		if (plan.unlimited()) {
			return chain.filter(exchange);
		}
		// The reply arrives on a Lettuce I/O thread (or a timer thread after a timeout): the chain goes on elsewhere.
		return EventLoops.resumeOnLoop(exchange, limiter.admit(plan, request.estimatedTokens(), !llm.requestPrepaid()))
			.flatMap(admission -> {
				admitted(exchange, llm, admission);
				return admission.admitted() ? chain.filter(exchange)
						: rejection.write(exchange, admission, request.estimatedTokens());
			});
	}

	/** Keeps the admission for the settlement and gives the answer the tenant's rate-limit headers as it commits. */
	static void admitted(ServerWebExchange exchange, LlmExchange llm, Admission admission) {
		llm.put(ADMISSION, admission);
		exchange.getResponse().beforeCommit(() -> {
			RateLimitHeaders.set(exchange.getResponse().getHeaders(), admission);
			return Mono.empty();
		});
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.LIMIT;
	}

}
