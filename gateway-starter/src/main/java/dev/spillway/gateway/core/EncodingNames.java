package dev.spillway.gateway.core;

import com.knuddels.jtokkit.api.EncodingType;

/** The tokenizer encodings configuration may name: exactly those the tokenizer (jtokkit) has. */
public final class EncodingNames {

	/** The names, as a sentence for messages. */
	public static final String LIST = "one of jtokkit's encodings (r50k_base, p50k_base, p50k_edit, cl100k_base, "
			+ "o200k_base, ...)";

	private EncodingNames() {
	}

	public static boolean isKnown(String name) {
		return name != null && EncodingType.fromName(name).isPresent();
	}

}
