package dev.spillway.gateway.limit;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Admits a request against its tenant's limits before anything is sent upstream: the prompt's tokens (counted
 * with the real tokenizer) plus the completion it reserves, and one request. Over a per-minute limit: 429
 * {@code rate_limit_exceeded} with {@code Retry-After}; over the daily quota: 429 {@code daily_quota_exceeded}
 * with the time until it renews; limits unavailable under {@code fail-closed}: 503.
 */
public class LimitFilter implements GlobalFilter, Ordered {

	private final LimitPlans plans;

	private final TenantLimiter limiter;

	private final LimitRejection rejection;

	public LimitFilter(LimitPlans plans, TenantLimiter limiter, LimitRejection rejection) {
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
		// A job worker's call: the job's submission took its request, the call takes its tokens. The reply arrives
		// on a Lettuce I/O thread (or a timer thread after a timeout): the chain goes on elsewhere.
		return EventLoops.resumeOnLoop(exchange, limiter.admit(plan, request.estimatedTokens(), llm.jobId() == null))
			.flatMap(admission -> {
				llm.admission(admission);
				return admission.admitted() ? chain.filter(exchange)
						: rejection.write(exchange, admission, request.estimatedTokens());
			});
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.LIMIT;
	}

}
