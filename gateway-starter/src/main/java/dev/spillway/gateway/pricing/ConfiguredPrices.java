package dev.spillway.gateway.pricing;

import java.util.Map;
import java.util.Set;

import dev.spillway.gateway.pricing.api.Prices;

/** Prices per million tokens as configured; a model without its own entry takes the longest prefix of its name. */
class ConfiguredPrices implements Prices {

	private final Map<String, PricingProperties.Price> prices;

	ConfiguredPrices(Map<String, PricingProperties.Price> prices) {
		this.prices = Map.copyOf(prices);
	}

	@Override
	public double cost(String model, long promptTokens, long completionTokens) {
		PricingProperties.Price price = price(model);
		if (price == null) {
			return -1;
		}
		return (promptTokens * price.getInputPerMillion() + completionTokens * price.getOutputPerMillion()) / 1_000_000.0;
	}

	@Override
	public long costMicros(String model, long promptTokens, long cachedPromptTokens, long completionTokens,
			long reasoningTokens) {
		PricingProperties.Price price = price(model);
		if (price == null) {
			return -1;
		}
		return micros(price.getInputPerMillion(), price.getCachedInputPerMillion(), promptTokens, cachedPromptTokens,
				price.getOutputPerMillion(), price.getReasoningPerMillion(), completionTokens, reasoningTokens);
	}

	/**
	 * A price per million tokens is a price in millionths per token: the cost in millionths is tokens × price,
	 * rounded up once at the end.
	 */
	static long micros(double input, Double cachedInput, long prompt, long cachedPrompt, double output,
			Double reasoning, long completion, long reasoningTokens) {
		long cached = Math.max(0, Math.min(prompt, cachedPrompt));
		long thinking = Math.max(0, Math.min(completion, reasoningTokens));
		double cost = (prompt - cached) * input + cached * (cachedInput != null ? cachedInput : input)
				+ (completion - thinking) * output + thinking * (reasoning != null ? reasoning : output);
		return (long) Math.ceil(cost - 1e-9);
	}

	@Override
	public Set<String> pricedModels() {
		return prices.keySet();
	}

	private PricingProperties.Price price(String model) {
		if (model == null) {
			return null;
		}
		PricingProperties.Price exact = prices.get(model);
		if (exact != null) {
			return exact;
		}
		String best = null;
		for (String prefix : prices.keySet()) {
			if (model.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
				best = prefix;
			}
		}
		return best == null ? null : prices.get(best);
	}

}
