package dev.spillway.gateway.cache;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import org.springframework.cloud.gateway.support.ConfigurationService;
import org.springframework.context.annotation.Bean;

/**
 * With the response cache off ({@code spillway.cache.enabled} false, the default), a route that asks for it with the
 * {@code LlmCache} filter fails start-up with a message saying so, instead of being left out by Spring Cloud Gateway.
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@ConditionalOnProperty(prefix = "spillway.cache", name = "enabled", havingValue = "false", matchIfMissing = true)
public class CacheOffAutoConfiguration {

	@Bean
	RouteCacheSettingsCheck spillwayRouteCacheSettingsCheck(ObjectProvider<RouteDefinitionLocator> routes,
			ObjectProvider<ConfigurationService> configuration) {
		return new RouteCacheSettingsCheck(routes, configuration, null);
	}

}
