package dev.spillway.gateway.cache;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.spillway.gateway.request.RouteFilterCheck;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import org.springframework.cloud.gateway.support.ConfigurationService;

/**
 * Checks every route's cache settings at start-up: each {@code LlmCache} filter, and the deprecated metadata form
 * (validated, and warned about). The filter on a gateway whose cache is off fails start-up.
 */
final class RouteCacheSettingsCheck extends RouteFilterCheck<LlmCacheGatewayFilterFactory.Config> {

	private static final Logger log = LoggerFactory.getLogger(RouteCacheSettingsCheck.class);

	static final String FILTER = "LlmCache";

	/** @param factory the route filter, or {@code null} when the cache is off */
	RouteCacheSettingsCheck(ObjectProvider<RouteDefinitionLocator> routes,
			ObjectProvider<ConfigurationService> configuration, LlmCacheGatewayFilterFactory factory) {
		super(routes, configuration, FILTER, factory);
	}

	@Override
	protected void validate(LlmCacheGatewayFilterFactory.Config config) {
		config.validate();
	}

	@Override
	protected String whenOff() {
		return "the response cache is off: set spillway.cache.enabled=true, or remove the filter.";
	}

	@Override
	protected void checkRoute(RouteDefinition route) {
		LlmCacheGatewayFilterFactory.Config fromMetadata;
		try {
			fromMetadata = CacheSettings.fromMetadata(route.getMetadata());
		}
		catch (RuntimeException invalid) {
			throw new IllegalStateException("Route '" + route.getId() + "': metadata spillway.cache is not valid: "
					+ invalid.getMessage(), invalid);
		}
		if (fromMetadata != null) {
			log.warn("Route '{}' sets cache settings in its metadata (spillway.cache), which is deprecated: use "
					+ "filters: [ {}=<ttl>,<similarity-threshold> ] (or its full form) instead", route.getId(), FILTER);
		}
	}

}
