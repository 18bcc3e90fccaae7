package dev.spillway.gateway.config;

import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.error.SpillwayErrorWebExceptionHandler;
import dev.spillway.gateway.observability.RequestLog;
import dev.spillway.gateway.request.LlmExchangeFilter;
import dev.spillway.gateway.request.RequestBodyFilter;
import dev.spillway.gateway.routing.PoolRegistry;
import dev.spillway.gateway.routing.SpillwayLoadBalancerClientConfiguration;
import dev.spillway.gateway.streaming.StreamingResponseFilter;
import dev.spillway.gateway.tenant.TenantAuthenticationFilter;
import dev.spillway.gateway.tenant.TenantDirectory;
import dev.spillway.gateway.upstream.BackendRequestFilter;
import dev.spillway.gateway.upstream.BackendRequests;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.context.annotation.Bean;

/**
 * Spillway's filters, load balancer and shared pieces, active when Spring Cloud Gateway's WebFlux server is on
 * the class path. Every bean a user may want to replace is {@code @ConditionalOnMissingBean}.
 */
@AutoConfiguration(before = GatewayAutoConfiguration.class)
@ConditionalOnClass(GlobalFilter.class)
@ConditionalOnProperty(prefix = "spillway", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(SpillwayProperties.class)
@LoadBalancerClients(defaultConfiguration = SpillwayLoadBalancerClientConfiguration.class)
public class SpillwayAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PoolRegistry spillwayPoolRegistry(SpillwayProperties properties) {
		return new PoolRegistry(properties.getPools());
	}

	@Bean
	@ConditionalOnMissingBean
	TenantDirectory spillwayTenantDirectory(SpillwayProperties properties) {
		return new TenantDirectory(properties.getTenants());
	}

	@Bean
	@ConditionalOnMissingBean
	RequestLog spillwayRequestLog() {
		return new RequestLog();
	}

	@Bean
	LlmExchangeFilter spillwayLlmExchangeFilter(PoolRegistry pools) {
		return new LlmExchangeFilter(pools);
	}

	@Bean
	StreamingResponseFilter spillwayStreamingResponseFilter(SpillwayProperties properties, RequestLog requestLog) {
		return new StreamingResponseFilter(properties.getStreaming().getIdleTimeout(), requestLog);
	}

	@Bean
	TenantAuthenticationFilter spillwayTenantAuthenticationFilter(TenantDirectory directory) {
		return new TenantAuthenticationFilter(directory);
	}

	@Bean
	RequestBodyFilter spillwayRequestBodyFilter(SpillwayProperties properties, PoolRegistry pools) {
		return new RequestBodyFilter(spillwayJson(), pools, properties.getRequest().getMaxBodySize().toBytes());
	}

	@Bean
	BackendRequestFilter spillwayBackendRequestFilter() {
		return new BackendRequestFilter(new BackendRequests(spillwayJson()));
	}

	@Bean
	SpillwayErrorWebExceptionHandler spillwayErrorWebExceptionHandler() {
		return new SpillwayErrorWebExceptionHandler();
	}

	private static JsonMapper spillwayJson() {
		return JsonMapper.builder().build();
	}

}
