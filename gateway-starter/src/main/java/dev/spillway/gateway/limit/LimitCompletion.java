package dev.spillway.gateway.limit;

import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;

/** Charges the tenant what the answer really used: the difference to the admission's reservation. */
class LimitCompletion implements AnswerCompletion {

	private final TenantLimiter limiter;

	LimitCompletion(TenantLimiter limiter) {
		this.limiter = limiter;
	}

	@Override
	public void bodyEnded(EndedAnswer answer) {
		Admission admission = answer.llm().get(LimitFilter.ADMISSION);
		if (admission != null) {
			limiter.settle(admission, answer.totalTokens());
		}
	}

	@Override
	public int getOrder() {
		return LIMITS;
	}

}
