package dev.spillway.gateway.limit;

import dev.spillway.gateway.limit.CompletionSizes.Reserved;

/**
 * One admitted request's account with its tenant's token bucket: what it has been charged so far (its reservation
 * at first), the learned reservation it took, and whether it still holds its reservation. It is settled as soon as
 * the answer's usage is known and again, if anything changed, when the body has ended.
 */
final class Charge {

	private final Admission admission;

	private final Reserved reserved;

	private final BudgetAdmission budget;

	private final String model;

	private long charged;

	private long chargedMicros;

	private boolean released;

	private boolean spendCounted;

	/**
	 * @param reserved the learned reservation, or {@code null} when the request set its own cap
	 * @param budget the reservation on the tenant's spend budgets
	 * @param model the model the request is priced as
	 */
	Charge(Admission admission, Reserved reserved, BudgetAdmission budget, String model) {
		this.admission = admission;
		this.reserved = reserved;
		this.budget = budget;
		this.model = model;
		this.charged = admission.reservedTokens();
		this.chargedMicros = budget.reservedMicros();
	}

	Admission admission() {
		return admission;
	}

	BudgetAdmission budget() {
		return budget;
	}

	String model() {
		return model;
	}

	/** The request cost {@code micros} in all: returns what is still to be charged to its budgets. */
	synchronized long costInAll(long micros) {
		long difference = micros - chargedMicros;
		chargedMicros = micros;
		return difference;
	}

	/** Whether the request's real spend is still to be counted in the metrics (true once). */
	synchronized boolean countSpend() {
		boolean first = !spendCounted;
		spendCounted = true;
		return first;
	}

	/** The request has used {@code tokens} in all: returns what is still to be charged (negative: refunded). */
	synchronized long usedInAll(long tokens) {
		long difference = tokens - charged;
		charged = tokens;
		return difference;
	}

	/** The answer reported {@code completionTokens}: remembered for learning when the reservation was learned. */
	void answered(long completionTokens) {
		if (reserved != null) {
			reserved.answered(completionTokens);
		}
	}

	/** Whether this call released the request's hold (true once). */
	synchronized boolean release() {
		if (released) {
			return false;
		}
		released = true;
		if (reserved != null) {
			reserved.ended();
		}
		return true;
	}

}
