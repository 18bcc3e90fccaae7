package dev.spillway.gateway.pricing.api;

import java.util.Set;

/** What pricing publishes: the cost of tokens of a model, from {@code spillway.pricing}. */
public interface Prices {

	/**
	 * The cost of {@code promptTokens} and {@code completionTokens} of {@code model} (its own price, else the price of
	 * the longest prefix of its name), or -1 when the model has no price.
	 */
	double cost(String model, long promptTokens, long completionTokens);

	/** The model names (and name prefixes) that have a price. */
	Set<String> pricedModels();

}
