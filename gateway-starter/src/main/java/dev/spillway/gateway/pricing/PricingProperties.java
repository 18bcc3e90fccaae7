package dev.spillway.gateway.pricing;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.validation.Valid;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Prices of models per million tokens ({@code spillway.pricing}), for cost metrics and budgets.
 */
@Validated
@ConfigurationProperties(prefix = "spillway")
public class PricingProperties {

	/** Price per model name (or name prefix, longest wins), per million tokens. */
	@Valid
	private Map<String, Price> pricing = new LinkedHashMap<>();

	public Map<String, Price> getPricing() {
		return pricing;
	}

	public void setPricing(Map<String, Price> pricing) {
		this.pricing = pricing;
	}

	/** Price of a model per million tokens, in the currency of your choice. */
	public static class Price {

		/** Price per million prompt (input) tokens. */
		@jakarta.validation.constraints.PositiveOrZero
		private double inputPerMillion;

		/** Price per million completion (output) tokens. */
		@jakarta.validation.constraints.PositiveOrZero
		private double outputPerMillion;

		/** Price per million prompt tokens served from the provider's prompt cache; unset: the input price. */
		@jakarta.validation.constraints.PositiveOrZero
		private Double cachedInputPerMillion;

		/** Price per million reasoning tokens (part of the completion); unset: the output price. */
		@jakarta.validation.constraints.PositiveOrZero
		private Double reasoningPerMillion;

		public Double getCachedInputPerMillion() {
			return cachedInputPerMillion;
		}

		public void setCachedInputPerMillion(Double cachedInputPerMillion) {
			this.cachedInputPerMillion = cachedInputPerMillion;
		}

		public Double getReasoningPerMillion() {
			return reasoningPerMillion;
		}

		public void setReasoningPerMillion(Double reasoningPerMillion) {
			this.reasoningPerMillion = reasoningPerMillion;
		}

		public double getInputPerMillion() {
			return inputPerMillion;
		}

		public void setInputPerMillion(double inputPerMillion) {
			this.inputPerMillion = inputPerMillion;
		}

		public double getOutputPerMillion() {
			return outputPerMillion;
		}

		public void setOutputPerMillion(double outputPerMillion) {
			this.outputPerMillion = outputPerMillion;
		}

	}

}
