package dev.spillway.gateway.limit;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.Duration;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
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

	private final Duration redisRetryInterval;

	public LimitFilter(LimitPlans plans, TenantLimiter limiter, Duration redisRetryInterval) {
		this.plans = plans;
		this.limiter = limiter;
		this.redisRetryInterval = redisRetryInterval;
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
		return EventLoops.resumeOnLoop(exchange, limiter.admit(plan, request.estimatedTokens())).flatMap(admission -> {
			llm.admission(admission);
			return admission.admitted() ? chain.filter(exchange) : reject(exchange, admission, request);
		});
	}

	private Mono<Void> reject(ServerWebExchange exchange, Admission admission, LlmRequest request) {
		LimitPlan plan = admission.plan();
		String tenant = "'" + plan.tenant() + "'";
		long retryAfterNanos = admission.retryAfterNanos();
		OpenAiError error = switch (admission.verdict()) {
			case TOKENS_PER_MINUTE -> new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "tokens", "rate_limit_exceeded",
					"Rate limit reached for tenant " + tenant + " on tokens per minute: limit "
							+ plan.values().getTokensPerMinute() + ", requested " + request.estimatedTokens() + "."
							+ (request.estimatedTokens() > plan.values().getTokensPerMinute()
									? " The request is larger than the limit; lower max_tokens or the prompt."
									: " Please retry after the time in the Retry-After header."),
					null);
			case REQUESTS_PER_MINUTE -> new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "requests", "rate_limit_exceeded",
					"Rate limit reached for tenant " + tenant + " on requests per minute: limit "
							+ plan.values().getRequestsPerMinute() + ". Please retry after the time in the Retry-After header.",
					null);
			case TOKENS_PER_DAY -> {
				retryAfterNanos = Duration.between(java.time.Instant.now(),
						LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()).toNanos();
				yield new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "tokens", "daily_quota_exceeded",
						"The daily token quota of tenant " + tenant + " (" + plan.values().getTokensPerDay()
								+ " tokens) is used up; it renews at 00:00 UTC.",
						null);
			}
			default -> {
				retryAfterNanos = redisRetryInterval.toNanos();
				yield OpenAiError.server(HttpStatus.SERVICE_UNAVAILABLE, "limits_unavailable",
						"Tenant limits cannot be checked right now; the request was not sent. Please retry.");
			}
		};
		if (retryAfterNanos > 0 && retryAfterNanos < Duration.ofDays(2).toNanos()) {
			ErrorResponses.retryAfter(exchange.getResponse().getHeaders(), (retryAfterNanos + 999_999) / 1_000_000);
		}
		return ErrorResponses.write(exchange, error);
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.LIMIT;
	}

}
