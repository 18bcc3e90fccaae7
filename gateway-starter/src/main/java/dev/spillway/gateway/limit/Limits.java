package dev.spillway.gateway.limit;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Effective limits of a tier, tenant or model; {@code null} means not limited.
 *
 * @param tokensPerMinute tokens (prompt plus completion) per minute, refilled continuously
 * @param requestsPerMinute requests per minute, refilled continuously
 * @param tokensPerDay tokens per day, renewed at midnight UTC
 * @param dailyBudgetMicros spend per day, in millionths of the currency unit
 * @param monthlyBudgetMicros spend per calendar month, in millionths of the currency unit
 */
record Limits(Long tokensPerMinute, Long requestsPerMinute, Long tokensPerDay, Long dailyBudgetMicros,
		Long monthlyBudgetMicros) {

	static final Limits NONE = new Limits(null, null, null, null, null);

	Limits(Long tokensPerMinute, Long requestsPerMinute, Long tokensPerDay) {
		this(tokensPerMinute, requestsPerMinute, tokensPerDay, null, null);
	}

	static Limits of(LimitProperties.LimitValues values) {
		return new Limits(values.getTokensPerMinute(), values.getRequestsPerMinute(), values.getTokensPerDay(),
				micros(values.getDailyBudget()), micros(values.getMonthlyBudget()));
	}

	private static Long micros(BigDecimal amount) {
		return amount == null ? null : amount.movePointRight(6).setScale(0, RoundingMode.DOWN).longValueExact();
	}

	/** These limits, with every unset one taken from {@code base}. */
	Limits over(Limits base) {
		return new Limits(tokensPerMinute != null ? tokensPerMinute : base.tokensPerMinute,
				requestsPerMinute != null ? requestsPerMinute : base.requestsPerMinute,
				tokensPerDay != null ? tokensPerDay : base.tokensPerDay,
				dailyBudgetMicros != null ? dailyBudgetMicros : base.dailyBudgetMicros,
				monthlyBudgetMicros != null ? monthlyBudgetMicros : base.monthlyBudgetMicros);
	}

	boolean hasBudget() {
		return dailyBudgetMicros != null || monthlyBudgetMicros != null;
	}

}
