package dev.spillway.gateway.limit;

import java.util.List;

import dev.spillway.gateway.limit.BudgetLedger.Period;

/**
 * The outcome of reserving a request's estimated cost on its tenant's spend budgets.
 *
 * @param tenant the tenant
 * @param outcome whether the request fits
 * @param periods the tenant's budgets in their current periods (none: no budget)
 * @param spentMicros what was spent of each before this request
 * @param refusedIndex for {@link Outcome#EXCEEDED}: the index in {@code periods} of a budget the estimate did not fit
 * @param reservedMicros what was reserved on each budget (0 unless admitted)
 * @param shared whether the counters are Redis's (else this instance's, under the {@code local} policy)
 */
record BudgetAdmission(String tenant, Outcome outcome, List<Period> periods, long[] spentMicros, int refusedIndex,
		long reservedMicros, boolean shared) {

	/** Whether the request fits its tenant's budgets. */
	enum Outcome {

		/** It fits (or the tenant has no budget); its estimate is reserved. */
		ADMITTED,

		/** It does not fit one of them. */
		EXCEEDED,

		/** Redis could not tell and the policy is {@code fail-open}: not counted. */
		NOT_ENFORCED,

		/** Redis could not tell and the policy is {@code fail-closed}. */
		UNAVAILABLE

	}

	static BudgetAdmission none(String tenant) {
		return new BudgetAdmission(tenant, Outcome.ADMITTED, List.of(), new long[0], -1, 0, true);
	}

	boolean refused() {
		return outcome == Outcome.EXCEEDED || outcome == Outcome.UNAVAILABLE;
	}

	/** Whether less than half of one of the budgets was left after this reservation (see {@link Admission#nearLimit}). */
	boolean nearLimit() {
		for (int i = 0; i < periods.size(); i++) {
			long left = periods.get(i).budgetMicros() - spentMicros[i] - reservedMicros;
			if (left * 2 < periods.get(i).budgetMicros()) {
				return true;
			}
		}
		return false;
	}

	/** The budget the request did not fit. */
	Period refusedBy() {
		return periods.get(refusedIndex);
	}

}
