package dev.spillway.gateway.limit;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.KnownUsage;

/**
 * Charges the tenant what the answer really used and cost: the difference to the admission's reservations, on the
 * token bucket and the spend budgets at once. As soon as the usage is known both are settled and, when the tenant is
 * near its limit, the end of the answer waits for them, at most {@code settleTimeout}, so a client that sends its
 * next request when it has the answer finds its refund; when the body has ended, whatever changed since (or
 * everything, for an answer that reported no usage) is settled in the background.
 */
class LimitCompletion implements AnswerCompletion {

	private final TenantLimiter limiter;

	private final BudgetLedger ledger;

	private final BudgetCosts costs;

	private final BudgetMetrics metrics;

	private final Duration settleTimeout;

	LimitCompletion(TenantLimiter limiter, BudgetLedger ledger, BudgetCosts costs, BudgetMetrics metrics,
			Duration settleTimeout) {
		this.limiter = limiter;
		this.ledger = ledger;
		this.costs = costs;
		this.metrics = metrics;
		this.settleTimeout = settleTimeout;
	}

	@Override
	public void usageKnown(KnownUsage usage) {
		Charge charge = usage.llm().get(LimitFilter.CHARGE);
		if (charge == null) {
			return;
		}
		// An answer that used no backend (the cache, a replay) reports the usage it once had: it costs nothing.
		boolean fromBackend = usage.llm().answerSource().usesTokens();
		if (fromBackend) {
			charge.answered(usage.completionTokens());
		}
		long tokens = fromBackend ? usage.promptTokens() + usage.completionTokens() : 0;
		long micros = fromBackend ? costs.micros(charge.model(), usage.promptTokens(), usage.cachedTokens(),
				usage.completionTokens(), usage.reasoningTokens()) : 0;
		CompletableFuture<Void> settled = settle(charge, tokens, micros, true);
		// Far from the limit the next request fits whether or not this refund has landed: the end need not wait.
		if (!settled.isDone() && !settleTimeout.isZero()
				&& (charge.admission().nearLimit() || charge.budget().nearLimit())) {
			usage.llm().holdEndUntil(Mono.fromFuture(settled, true).timeout(settleTimeout, Mono.empty()).cache());
		}
	}

	@Override
	public void bodyEnded(EndedAnswer answer) {
		Charge charge = answer.llm().get(LimitFilter.CHARGE);
		if (charge != null) {
			long micros = answer.totalTokens() == 0 ? 0
					: costs.micros(charge.model(), answer.promptTokens(), 0, answer.completionTokens(), 0);
			settle(charge, answer.totalTokens(), micros, false);
		}
	}

	/**
	 * Settles the tokens, and the spend when the tokens changed (at the end of the body the usage details are gone:
	 * an answer already settled from its usage keeps that cost).
	 */
	private CompletableFuture<Void> settle(Charge charge, long usedInAll, long costInAll, boolean fromUsage) {
		long tokens = charge.usedInAll(usedInAll);
		CompletableFuture<Void> settled = limiter.charge(charge.admission(), tokens);
		BudgetAdmission budget = charge.budget();
		if (!budget.periods().isEmpty() && (fromUsage || tokens != 0)) {
			long cost = Math.max(0, costInAll);
			settled = CompletableFuture.allOf(settled, ledger.charge(budget, charge.costInAll(cost)));
		}
		if (charge.release()) {
			// Released once the refund is in the bucket: a request waiting for it must not give up in between.
			settled.whenComplete((done, failure) -> limiter.released(charge.admission()));
			if (!budget.periods().isEmpty() && charge.countSpend()) {
				long cost = Math.max(0, costInAll);
				budget.periods().forEach(period -> metrics.spent(budget.tenant(), period.name(), cost));
			}
		}
		return settled;
	}

	@Override
	public int getOrder() {
		return LIMITS;
	}

}
