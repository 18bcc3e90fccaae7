package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.List;

import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.request.RouteSettingsFilter;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.factory.AbstractGatewayFilterFactory;

/**
 * {@code LlmCache}: a route's own response-cache settings, over the global {@code spillway.cache.*} ones. The
 * shortcut form gives the TTL and the similarity threshold, {@code filters: [ LlmCache=10m,0.97 ]}; the full form
 * every field of {@link Config}. Checked when the application starts ({@link RouteCacheSettingsCheck}): a wrong
 * value fails start-up naming the route. Routes without the filter use the global settings.
 */
public class LlmCacheGatewayFilterFactory extends AbstractGatewayFilterFactory<LlmCacheGatewayFilterFactory.Config> {

	/** Exchange attribute holding the route's {@link CacheSettings}, read by the cache filter. */
	static final String SETTINGS_ATTR = LlmCacheGatewayFilterFactory.class.getName() + ".settings";

	private final CacheProperties global;

	LlmCacheGatewayFilterFactory(CacheProperties global) {
		super(Config.class);
		this.global = global;
	}

	@Override
	public List<String> shortcutFieldOrder() {
		return List.of("ttl", "similarityThreshold");
	}

	@Override
	public GatewayFilter apply(Config config) {
		return RouteSettingsFilter.of(SETTINGS_ATTR, config.validate().over(global), SpillwayFilterOrders.CACHE);
	}

	/** A route's cache settings; unset fields take the global value. */
	public static class Config {

		private Boolean enabled;

		private Duration ttl;

		private Double similarityThreshold;

		private Boolean semantic;

		private Boolean sharedAcrossTenants;

		public Boolean getEnabled() {
			return enabled;
		}

		public Config setEnabled(Boolean enabled) {
			this.enabled = enabled;
			return this;
		}

		public Duration getTtl() {
			return ttl;
		}

		public Config setTtl(Duration ttl) {
			this.ttl = ttl;
			return this;
		}

		public Double getSimilarityThreshold() {
			return similarityThreshold;
		}

		public Config setSimilarityThreshold(Double similarityThreshold) {
			this.similarityThreshold = similarityThreshold;
			return this;
		}

		public Boolean getSemantic() {
			return semantic;
		}

		public Config setSemantic(Boolean semantic) {
			this.semantic = semantic;
			return this;
		}

		public Boolean getSharedAcrossTenants() {
			return sharedAcrossTenants;
		}

		public Config setSharedAcrossTenants(Boolean sharedAcrossTenants) {
			this.sharedAcrossTenants = sharedAcrossTenants;
			return this;
		}

		/** Checks the values that can be wrong; returns this. */
		public Config validate() {
			if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
				throw new IllegalArgumentException("ttl must be positive, was " + ttl);
			}
			if (similarityThreshold != null && !(similarityThreshold > 0 && similarityThreshold <= 1)) {
				throw new IllegalArgumentException(
						"similarityThreshold must be above 0 and at most 1, was " + similarityThreshold);
			}
			return this;
		}

		CacheSettings over(CacheProperties global) {
			return new CacheSettings(enabled != null ? enabled : global.isEnabled(), ttl != null ? ttl : global.getTtl(),
					semantic != null ? semantic : global.isSemantic(),
					similarityThreshold != null ? similarityThreshold : global.getSimilarityThreshold(),
					sharedAcrossTenants != null ? sharedAcrossTenants : global.isSharedAcrossTenants());
		}

	}

}
