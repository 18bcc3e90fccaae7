package dev.spillway.gateway.pricing.api;

import java.util.Set;

/** What pricing publishes: the cost of tokens of a model, from {@code spillway.pricing}. */
public interface Prices {

	/**
	 * The cost of {@code promptTokens} and {@code completionTokens} of {@code model} (its own price, else the price of
	 * the longest prefix of its name), or -1 when the model has no price.
	 */
	double cost(String model, long promptTokens, long completionTokens);

	/**
	 * The cost, in millionths of the currency unit rounded up (never 0 for tokens that cost something), of a model's
	 * usage: {@code cachedPromptTokens} of the {@code promptTokens} at the cached-input price, {@code reasoningTokens}
	 * of the {@code completionTokens} at the reasoning price (each the plain price when not configured); -1 when the
	 * model has no price. Counts not reported are 0. An implementation that knows only {@link #cost} prices every
	 * token at the plain prices.
	 */
	default long costMicros(String model, long promptTokens, long cachedPromptTokens, long completionTokens,
			long reasoningTokens) {
		double cost = cost(model, promptTokens, completionTokens);
		return cost < 0 ? -1 : (long) Math.ceil(cost * 1_000_000 - 1e-9);
	}

	/** The model names (and name prefixes) that have a price. */
	Set<String> pricedModels();

}
