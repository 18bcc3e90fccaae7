package dev.spillway.gateway.request;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;

import dev.spillway.gateway.core.EncodingNames;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * How a request's tokens are estimated when it is read: the tokenizer per model and the completion reserved when a
 * request sets no output cap. They live under {@code spillway.limits} (where users look for them, beside the tiers
 * they feed), but the request reader owns them, because routing and the cache use the estimate as well.
 */
@Validated
@ConfigurationProperties(prefix = "spillway.limits")
public class TokenizerProperties {

	/** Completion tokens reserved at admission for a request that sets no {@code max_tokens}; settled after. */
	@Min(1)
	private int defaultCompletionReservation = 1024;

	/**
	 * Tokenizer encoding by model-name prefix (longest match wins), over the built-in rules: {@code gpt-4o},
	 * {@code gpt-4.1}, {@code gpt-4.5}, {@code gpt-5}, {@code o1}, {@code o3}, {@code o4} → {@code o200k_base};
	 * anything else → {@code cl100k_base}.
	 */
	private Map<String, String> encodings = new LinkedHashMap<>();

	public int getDefaultCompletionReservation() {
		return defaultCompletionReservation;
	}

	public void setDefaultCompletionReservation(int defaultCompletionReservation) {
		this.defaultCompletionReservation = defaultCompletionReservation;
	}

	public Map<String, String> getEncodings() {
		return encodings;
	}

	public void setEncodings(Map<String, String> encodings) {
		this.encodings = encodings;
	}

	@AssertTrue(message = "encodings must be " + EncodingNames.LIST)
	public boolean isEncodingsKnown() {
		return encodings.values().stream().allMatch(EncodingNames::isKnown);
	}

}
