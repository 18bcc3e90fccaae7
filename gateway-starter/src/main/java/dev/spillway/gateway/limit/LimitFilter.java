package dev.spillway.gateway.limit;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.limit.CompletionSizes.Reserved;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.request.Slot;
import dev.spillway.gateway.wire.WireFormat;

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

	/** The admitted request's charge, settled against its real usage. */
	static final Slot<Charge> CHARGE = Slot.named("limit.charge");

	private final LimitPlans plans;

	private final TenantLimiter limiter;

	private final LimitRejection rejection;

	private final CompletionSizes sizes;

	private final BudgetLedger ledger;

	private final BudgetCosts costs;

	private final BudgetMetrics metrics;

	/** @param sizes what learned reservations come from, or {@code null} to reserve the configured default */
	LimitFilter(LimitPlans plans, TenantLimiter limiter, LimitRejection rejection, CompletionSizes sizes,
			BudgetLedger ledger, BudgetCosts costs, BudgetMetrics metrics) {
		this.plans = plans;
		this.limiter = limiter;
		this.rejection = rejection;
		this.sizes = sizes;
		this.ledger = ledger;
		this.costs = costs;
		this.metrics = metrics;
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
		boolean learnable = learnable(request);
		AtomicReference<Reserved> reserved = new AtomicReference<>();
		// Asked at every try of the admission: a request that waited reserves what was learned meanwhile.
		LongSupplier tokens = () -> {
			if (!learnable) {
				return request.estimatedTokens();
			}
			// The previous try's reservation ends first: a request holds one place among the learned ones at a time.
			Reserved before = reserved.getAndSet(null);
			if (before != null) {
				before.ended();
			}
			Reserved now = sizes.reserve(llm.tenant(), request.model(), request.completionReservation());
			reserved.set(now);
			return request.promptTokens() + now.tokens();
		};
		Runnable notInFlight = () -> {
			Reserved last = reserved.getAndSet(null);
			if (last != null) {
				last.ended();
			}
		};
		Mono<BudgetAdmission> budget;
		long estimateMicros = 0;
		if (plan.values().hasBudget()) {
			long estimate = tokens.getAsLong();
			estimateMicros = costs.micros(request.model(), request.promptTokens(), 0, estimate - request.promptTokens(), 0);
			if (estimateMicros < 0) {
				notInFlight.run();
				return rejection.writeUnpriced(exchange, llm.tenant(), request.model());
			}
			budget = ledger.reserve(plan, estimateMicros);
		}
		else {
			budget = Mono.just(BudgetAdmission.none(llm.tenant()));
		}
		long estimatedCost = estimateMicros;
		// What arrived before the client went away, given back if the request never went on.
		AtomicReference<Admission> admissionArrived = new AtomicReference<>();
		AtomicReference<BudgetAdmission> budgetArrived = new AtomicReference<>();
		AtomicBoolean decided = new AtomicBoolean();
		// The budget's script and the buckets' commands are sent at once: the budget adds no round trip in sequence.
		// The replies arrive on Lettuce I/O threads (or a timer thread after a timeout): the chain goes on elsewhere.
		Mono<Admission> admission = limiter.admitOrWait(plan, tokens, !llm.requestPrepaid()).doOnNext(admissionArrived::set);
		return EventLoops.resumeOnLoop(exchange, Mono.zip(admission, budget.doOnNext(budgetArrived::set)))
			.doOnCancel(() -> {
				if (decided.compareAndSet(false, true)) {
					notInFlight.run();
					Admission took = admissionArrived.get();
					if (took != null && took.admitted()) {
						limiter.undo(took);
					}
					BudgetAdmission spend = budgetArrived.get();
					if (spend != null) {
						ledger.charge(spend, -spend.reservedMicros());
					}
				}
			})
			.flatMap(admitted -> {
				decided.set(true);
				Admission took = admitted.getT1();
				BudgetAdmission spend = admitted.getT2();
				headers(exchange, took);
				if (spend.refused()) {
					notInFlight.run();
					if (took.admitted()) {
						limiter.undo(took);
					}
					if (spend.outcome() == BudgetAdmission.Outcome.EXCEEDED) {
						metrics.refused(spend.tenant(), spend.refusedBy().name());
					}
					return rejection.writeBudget(exchange, spend, estimatedCost);
				}
				if (!took.admitted()) {
					notInFlight.run();
					ledger.charge(spend, -spend.reservedMicros());
					return rejection.write(exchange, took, took.requestedTokens());
				}
				llm.put(CHARGE, new Charge(took, reserved.getAndSet(null), spend, request.model()));
				return chain.filter(exchange);
			});
	}

	/**
	 * Whether the request's completion reservation is learned: it sets no output cap, and its operation has output
	 * (a cap of 0 reads as none, an operation without output reserves 0 either way). A background response is
	 * charged its reservation, so it reserves the default.
	 */
	private boolean learnable(LlmRequest request) {
		if (sizes == null || request.body().path("background").asBoolean(false)) {
			return false;
		}
		WireFormat format = request.operation().format();
		return format.outputReservation(request.body(), 0) == 0 && format.outputReservation(request.body(), 1) > 0;
	}

	/** Gives the answer the tenant's rate-limit headers as it commits. */
	static void headers(ServerWebExchange exchange, Admission admission) {
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
