package dev.spillway.gateway.limit;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;

import io.github.bucket4j.Bandwidth;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.error.RetrySpread;

import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;

/**
 * The answer to a request its tenant's limits refused. Over a per-minute limit: 429 {@code rate_limit_exceeded}
 * with {@code Retry-After}; over the daily quota: 429 {@code daily_quota_exceeded} with the time until it renews at
 * midnight UTC (read from the injected clock); limits unavailable under {@code fail-closed}: 503. Requests refused
 * together by one bucket are told waits spread by {@link RetrySpread}, each at least the time until it would fit.
 */
class LimitRejection {

	private final Clock clock;

	private final Duration redisRetryInterval;

	private final RetrySpread spread;

	LimitRejection(Clock clock, Duration redisRetryInterval, RetrySpread spread) {
		this.clock = clock;
		this.redisRetryInterval = redisRetryInterval;
		this.spread = spread;
	}

	/** Writes the refusal of {@code admission}; {@code requestedTokens} is what the request asked for. */
	Mono<Void> write(ServerWebExchange exchange, Admission admission, long requestedTokens) {
		LimitPlan plan = admission.plan();
		String tenant = "'" + plan.tenant() + "'";
		long retryAfterNanos = admission.retryAfterNanos();
		OpenAiError error = switch (admission.verdict()) {
			case TOKENS_PER_MINUTE -> new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "tokens", "rate_limit_exceeded",
					"Rate limit reached for tenant " + tenant + " on tokens per minute: limit "
							+ plan.values().tokensPerMinute() + ", requested " + requestedTokens + "."
							+ (requestedTokens > plan.values().tokensPerMinute()
									? " The request is larger than the limit; lower max_tokens or the prompt."
									: " Please retry after the time in the Retry-After header."),
					null);
			case REQUESTS_PER_MINUTE -> new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "requests", "rate_limit_exceeded",
					"Rate limit reached for tenant " + tenant + " on requests per minute: limit "
							+ plan.values().requestsPerMinute() + ". Please retry after the time in the Retry-After header.",
					null);
			case TOKENS_PER_DAY -> {
				retryAfterNanos = Duration.between(clock.instant(),
						LocalDate.now(clock.withZone(ZoneOffset.UTC)).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant())
					.toNanos();
				yield new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "tokens", "daily_quota_exceeded",
						"The daily token quota of tenant " + tenant + " (" + plan.values().tokensPerDay()
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
			long ownWait = (retryAfterNanos + 999_999) / 1_000_000;
			long advised = switch (admission.verdict()) {
				case TOKENS_PER_MINUTE -> spread.advise(plan.tokensKey(), ownWait, plan.tokensPerMinuteBandwidth() < 0 ? 0
						: refillMillis(plan.tokens().getBandwidths()[plan.tokensPerMinuteBandwidth()], requestedTokens));
				case REQUESTS_PER_MINUTE -> spread.advise(plan.requestsKey(), ownWait,
						refillMillis(plan.requests().getBandwidths()[0], 1));
				default -> ownWait;
			};
			ErrorResponses.retryAfter(exchange.getResponse().getHeaders(), advised);
		}
		return ErrorResponses.write(exchange, error);
	}

	/**
	 * Writes the refusal of a request that does not fit its tenant's spend budget: 429 {@code budget_exceeded} with
	 * {@code Retry-After} until the budget renews (which may be days away), or 503 when Redis cannot tell under
	 * {@code fail-closed}.
	 */
	Mono<Void> writeBudget(ServerWebExchange exchange, BudgetAdmission budget, long estimateMicros) {
		if (budget.outcome() == BudgetAdmission.Outcome.UNAVAILABLE) {
			ErrorResponses.retryAfter(exchange.getResponse().getHeaders(), redisRetryInterval.toMillis());
			return ErrorResponses.write(exchange, OpenAiError.server(HttpStatus.SERVICE_UNAVAILABLE, "limits_unavailable",
					"Tenant limits cannot be checked right now; the request was not sent. Please retry."));
		}
		BudgetLedger.Period period = budget.refusedBy();
		long spent = budget.spentMicros()[budget.refusedIndex()];
		long untilRenewal = Math.max(1, Duration.between(clock.instant(), period.renews()).toMillis());
		ErrorResponses.retryAfter(exchange.getResponse().getHeaders(), untilRenewal);
		return ErrorResponses.write(exchange, new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "budget", "budget_exceeded",
				"The " + period.name() + " spend budget of tenant '" + budget.tenant() + "' ("
						+ BudgetLedger.currency(period.budgetMicros()).toPlainString() + ") has "
						+ BudgetLedger.currency(Math.max(0, period.budgetMicros() - spent)).toPlainString()
						+ " left, less than this request's estimated cost of "
						+ BudgetLedger.currency(estimateMicros).toPlainString() + "; it renews at " + period.renews()
						+ ". Retrying before then will not succeed.",
				null));
	}

	/** Writes the refusal of a request for a model without a price under a spend budget: 403 {@code model_not_priced}. */
	Mono<Void> writeUnpriced(ServerWebExchange exchange, String tenant, String model) {
		return ErrorResponses.write(exchange, new OpenAiError(HttpStatus.FORBIDDEN, "invalid_request_error",
				"model_not_priced", "Model '" + model + "' has no price, and tenant '" + tenant
						+ "' has a spend budget: the gateway does not serve it unpriced.", "model"));
	}

	/** How long {@code bandwidth} takes to refill {@code amount}: the room one more refused request needs. */
	private static long refillMillis(Bandwidth bandwidth, long amount) {
		double nanos = (double) bandwidth.getRefillPeriodNanos() / bandwidth.getRefillTokens() * Math.max(1, amount);
		return (long) Math.ceil(nanos / 1_000_000);
	}

}
