package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.cloud.gateway.route.Route;

/**
 * The cache settings of one route: the global {@code spillway.cache.*} values, overridden by the route's
 * {@code LlmCache} filter or, deprecated, by its metadata under {@code spillway.cache} ({@code enabled}, {@code ttl},
 * {@code similarity-threshold}, {@code shared-across-tenants}, {@code semantic}).
 */
record CacheSettings(boolean enabled, Duration ttl, boolean semantic, double similarityThreshold,
		boolean sharedAcrossTenants) {

	/** The route's metadata overrides, or {@code null} when it has none. */
	static LlmCacheGatewayFilterFactory.Config fromMetadata(Route route) {
		return route == null ? null : fromMetadata(route.getMetadata());
	}

	/**
	 * The overrides under {@code spillway.cache} in route metadata, checked; {@code null} when there are none.
	 *
	 * @throws IllegalArgumentException for a value that is not valid
	 */
	static LlmCacheGatewayFilterFactory.Config fromMetadata(Map<String, Object> metadata) {
		Map<?, ?> overrides = nested(nested(metadata, "spillway"), "cache");
		if (overrides.isEmpty()) {
			return null;
		}
		LlmCacheGatewayFilterFactory.Config config = new LlmCacheGatewayFilterFactory.Config()
			.setEnabled(bool(overrides, "enabled"))
			.setSemantic(bool(overrides, "semantic"))
			.setSharedAcrossTenants(bool(overrides, "shared-across-tenants"));
		Object ttl = overrides.get("ttl");
		if (ttl != null) {
			config.setTtl(DurationStyle.detectAndParse(String.valueOf(ttl)));
		}
		Object threshold = overrides.get("similarity-threshold");
		if (threshold != null) {
			try {
				config.setSimilarityThreshold(Double.parseDouble(String.valueOf(threshold)));
			}
			catch (NumberFormatException ex) {
				throw new IllegalArgumentException("similarity-threshold must be a number, was " + threshold, ex);
			}
		}
		return config.validate();
	}

	private static Boolean bool(Map<?, ?> overrides, String key) {
		Object value = overrides.get(key);
		if (value == null) {
			return null;
		}
		String text = String.valueOf(value);
		if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
			throw new IllegalArgumentException(key + " must be true or false, was " + text);
		}
		return Boolean.parseBoolean(text);
	}

	private static Map<?, ?> nested(Map<?, ?> map, String key) {
		Object value = map == null ? null : map.get(key);
		return value instanceof Map<?, ?> inner ? inner : Map.of();
	}

}
