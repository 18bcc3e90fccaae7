package dev.spillway.gateway.idempotency;

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
 * With {@code Idempotency-Key} handling off, a route that asks for it with the {@code LlmIdempotency} filter fails
 * start-up with a message saying so, instead of being left out by Spring Cloud Gateway.
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@ConditionalOnProperty(prefix = "spillway.idempotency", name = "enabled", havingValue = "false")
public class IdempotencyOffAutoConfiguration {

	@Bean
	RouteIdempotencyCheck spillwayRouteIdempotencyCheck(ObjectProvider<RouteDefinitionLocator> routes,
			ObjectProvider<ConfigurationService> configuration) {
		return new RouteIdempotencyCheck(routes, configuration, null);
	}

}
