package dev.spillway.gateway.autoconfigure;

import java.time.Clock;

import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SharedStateSettings;
import dev.spillway.gateway.core.SpillwayProperties;
import dev.spillway.gateway.core.Tenants;
import dev.spillway.gateway.request.HeavyWork;
import dev.spillway.gateway.request.LlmExchangeFilter;
import dev.spillway.gateway.request.ModelListFilter;
import dev.spillway.gateway.request.RequestBodyFilter;
import dev.spillway.gateway.request.RequestProperties;
import dev.spillway.gateway.request.SpillwayErrorWebExceptionHandler;
import dev.spillway.gateway.request.TokenCounter;
import dev.spillway.gateway.request.TokenizerProperties;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.context.annotation.Bean;

/**
 * Spillway's core, which every capability builds on: the pools and tenants as immutable values, the request's
 * context and how its body is read, the shared JSON mapper and clock. Active when Spring Cloud Gateway's WebFlux
 * server is on the class path and {@code spillway.enabled} is not {@code false}; each capability's
 * auto-configuration runs after this one. Configuration is read once at start-up: a change needs a restart.
 */
@AutoConfiguration(before = GatewayAutoConfiguration.class)
@ConditionalOnClass(GlobalFilter.class)
@ConditionalOnProperty(prefix = "spillway", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties({ SpillwayProperties.class, RequestProperties.class, TokenizerProperties.class })
public class SpillwayCoreAutoConfiguration {

	/** The JSON mapper every Spillway component reads and writes with. */
	@Bean
	@ConditionalOnMissingBean(name = "spillwayJsonMapper")
	JsonMapper spillwayJsonMapper() {
		return JsonMapper.builder().build();
	}

	/**
	 * The clock limits refill by, routing plans by, and quotas and jobs read the date from; a bean so tests can stop
	 * or move it.
	 */
	@Bean
	@ConditionalOnMissingBean(name = "spillwayClock")
	Clock spillwayClock() {
		return Clock.systemUTC();
	}

	@Bean
	Pools spillwayPools(SpillwayProperties properties) {
		return new Pools(properties.getPools());
	}

	@Bean
	Tenants spillwayTenants(SpillwayProperties properties) {
		return new Tenants(properties.getTenants());
	}

	@Bean
	SharedStateSettings spillwaySharedState(SpillwayProperties properties) {
		return properties.sharedState();
	}

	@Bean
	@ConditionalOnMissingBean
	TokenCounter spillwayTokenCounter(TokenizerProperties tokenizer) {
		return new TokenCounter(tokenizer.getEncodings());
	}

	@Bean
	@ConditionalOnMissingBean
	HeavyWork spillwayHeavyWork(RequestProperties request) {
		return new HeavyWork(request.getCpuThreads(), request.getCpuQueueCapacity());
	}

	@Bean
	LlmExchangeFilter spillwayLlmExchangeFilter(Pools pools) {
		return new LlmExchangeFilter(pools);
	}

	@Bean
	ModelListFilter spillwayModelListFilter(Pools pools, ObjectProvider<RouteLocator> routes,
			@Qualifier("spillwayJsonMapper") JsonMapper json) {
		return new ModelListFilter(pools, routes, json);
	}

	@Bean
	RequestBodyFilter spillwayRequestBodyFilter(@Qualifier("spillwayJsonMapper") JsonMapper json, Pools pools,
			RequestProperties request, TokenizerProperties tokenizer, TokenCounter tokens, HeavyWork heavyWork) {
		return new RequestBodyFilter(json, pools, request.getMaxBodySize().toBytes(), tokens,
				tokenizer.getDefaultCompletionReservation(), heavyWork);
	}

	@Bean
	SpillwayErrorWebExceptionHandler spillwayErrorWebExceptionHandler(RequestProperties request) {
		return new SpillwayErrorWebExceptionHandler(request.getApiPathPrefixes());
	}

}
