package dev.spillway.gateway.limit;

import dev.spillway.gateway.pricing.api.Prices;

/**
 * What usage costs against a spend budget, in millionths: {@code spillway.pricing}'s price, or for a model without
 * one the configured default price ({@code unpriced-models: charge-default}); never free. -1: the model has no price
 * and such requests are refused.
 */
final class BudgetCosts {

	private final Prices prices;

	private final LimitProperties.Budgets budgets;

	BudgetCosts(Prices prices, LimitProperties.Budgets budgets) {
		this.prices = prices;
		this.budgets = budgets;
	}

	long micros(String model, long promptTokens, long cachedPromptTokens, long completionTokens, long reasoningTokens) {
		long priced = prices == null ? -1
				: prices.costMicros(model, promptTokens, Math.max(0, cachedPromptTokens), completionTokens,
						Math.max(0, reasoningTokens));
		if (priced >= 0 || budgets.getUnpricedModels() == LimitProperties.UnpricedModels.REFUSE) {
			return priced;
		}
		double cost = promptTokens * budgets.getDefaultInputPerMillion()
				+ completionTokens * budgets.getDefaultOutputPerMillion();
		return (long) Math.ceil(cost - 1e-9);
	}

}
