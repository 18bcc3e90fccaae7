package dev.spillway.gateway.limit;

import java.util.function.Supplier;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.limit.api.SubmissionLimits;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.LlmExchange;

import org.springframework.web.server.ServerWebExchange;

/** Admits job submissions: one request from the tenant's bucket, refused when the daily quota is spent. */
class SubmissionAdmission implements SubmissionLimits {

	private final LimitPlans plans;

	private final TenantLimiter limiter;

	private final LimitRejection rejection;

	SubmissionAdmission(LimitPlans plans, TenantLimiter limiter, LimitRejection rejection) {
		this.plans = plans;
		this.limiter = limiter;
		this.rejection = rejection;
	}

	@Override
	public Mono<Void> admitSubmission(ServerWebExchange exchange, LlmExchange llm, Supplier<Mono<Void>> whenAdmitted) {
		LimitPlan plan = plans.plan(llm.tenant(), llm.request().model());
		// Redis replies arrive on Lettuce's I/O threads: the chain goes on on the connection's event loop.
		return EventLoops.resumeOnLoop(exchange, limiter.admitSubmission(plan)).flatMap(admission -> {
			LimitFilter.headers(exchange, admission);
			return admission.admitted() ? whenAdmitted.get() : rejection.write(exchange, admission, 0);
		});
	}

}
