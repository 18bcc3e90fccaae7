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
