package dev.spillway.gateway.limit;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.KnownUsage;

/**
 * Charges the tenant what the answer really used: the difference to the admission's reservation. As soon as the
 * usage is known the bucket is settled and the end of the answer waits for it, at most {@code settleTimeout}, so a
 * client that sends its next request when it has the answer finds its refund; when the body has ended, whatever
 * changed since (or everything, for an answer that reported no usage) is settled in the background.
 */
class LimitCompletion implements AnswerCompletion {

	private final TenantLimiter limiter;

	private final Duration settleTimeout;

	LimitCompletion(TenantLimiter limiter, Duration settleTimeout) {
		this.limiter = limiter;
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
		CompletableFuture<Void> settled = settle(charge,
				fromBackend ? usage.promptTokens() + usage.completionTokens() : 0);
		// Far from the limit the next request fits whether or not this refund has landed: the end need not wait.
		if (!settled.isDone() && !settleTimeout.isZero() && charge.admission().nearLimit()) {
			usage.llm().holdEndUntil(Mono.fromFuture(settled, true).timeout(settleTimeout, Mono.empty()).cache());
		}
	}

	@Override
	public void bodyEnded(EndedAnswer answer) {
		Charge charge = answer.llm().get(LimitFilter.CHARGE);
		if (charge != null) {
			settle(charge, answer.totalTokens());
		}
	}

	private CompletableFuture<Void> settle(Charge charge, long usedInAll) {
		CompletableFuture<Void> settled = limiter.charge(charge.admission(), charge.usedInAll(usedInAll));
		if (charge.release()) {
			// Released once the refund is in the bucket: a request waiting for it must not give up in between.
			settled.whenComplete((done, failure) -> limiter.released(charge.admission()));
		}
		return settled;
	}

	@Override
	public int getOrder() {
		return LIMITS;
	}

}
