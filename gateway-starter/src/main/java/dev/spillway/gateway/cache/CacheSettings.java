package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.cloud.gateway.route.Route;

/**
 * The cache settings of one route: the global {@code spillway.cache.*} values, overridden by the route's metadata
 * under {@code spillway.cache} ({@code enabled}, {@code ttl}, {@code similarity-threshold},
 * {@code shared-across-tenants}, {@code semantic}).
 */
record CacheSettings(boolean enabled, Duration ttl, boolean semantic, double similarityThreshold,
		boolean sharedAcrossTenants) {

	static CacheSettings of(CacheProperties global, Route route) {
		Map<?, ?> overrides = route == null ? Map.of() : nested(nested(route.getMetadata(), "spillway"), "cache");
		return new CacheSettings(bool(overrides, "enabled", global.isEnabled()),
				overrides.get("ttl") != null ? DurationStyle.detectAndParse(String.valueOf(overrides.get("ttl")))
						: global.getTtl(),
				bool(overrides, "semantic", global.isSemantic()),
				overrides.get("similarity-threshold") != null
						? Double.parseDouble(String.valueOf(overrides.get("similarity-threshold")))
						: global.getSimilarityThreshold(),
				bool(overrides, "shared-across-tenants", global.isSharedAcrossTenants()));
	}

	private static boolean bool(Map<?, ?> overrides, String key, boolean fallback) {
		Object value = overrides.get(key);
		return value == null ? fallback : Boolean.parseBoolean(String.valueOf(value));
	}

	private static Map<?, ?> nested(Map<?, ?> map, String key) {
		Object value = map.get(key);
		return value instanceof Map<?, ?> inner ? inner : Map.of();
	}

}
