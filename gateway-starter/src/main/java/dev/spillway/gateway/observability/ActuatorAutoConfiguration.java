package dev.spillway.gateway.observability;

import java.util.List;

import dev.spillway.gateway.cache.api.CacheReport;
import dev.spillway.gateway.core.SharedStateSettings;
import dev.spillway.gateway.core.Tenants;
import dev.spillway.gateway.limit.api.TenantLimitsReport;
import dev.spillway.gateway.routing.api.PoolReport;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.AbstractReactiveHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;

/**
 * Spillway's Actuator pieces, when Actuator is on the class path (it is an optional dependency of the starter): the
 * {@code spillway} endpoint (pools, tenants) where it is exposed, and the {@code spillway} health indicator where
 * it is enabled.
 */
@AutoConfiguration(after = ObservabilityAutoConfiguration.class,
		afterName = { "dev.spillway.gateway.routing.RoutingAutoConfiguration",
				"dev.spillway.gateway.cache.CacheAutoConfiguration" })
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(PoolReport.class)
public class ActuatorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint(SpillwayEndpoint.class)
	SpillwayEndpoint spillwayEndpoint(PoolReport pools, ObjectProvider<TenantLimitsReport> limits,
			ObjectProvider<CacheReport> cache, UsageMetrics usage, Tenants tenants) {
		return new SpillwayEndpoint(pools, limits.getIfAvailable(), cache.getIfAvailable(), usage,
				List.copyOf(tenants.all().keySet()));
	}

	/** The health indicator, when Spring Boot's health support is present too. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(AbstractReactiveHealthIndicator.class)
	@ConditionalOnEnabledHealthIndicator("spillway")
	static class Health {

		@Bean(name = "spillwayHealthIndicator")
		@ConditionalOnMissingBean(name = "spillwayHealthIndicator")
		SpillwayHealthIndicator spillwayHealthIndicator(PoolReport pools, ReactiveRedisConnectionFactory redis,
				SharedStateSettings shared) {
			return new SpillwayHealthIndicator(pools, redis, shared.commandTimeout());
		}

	}

}
