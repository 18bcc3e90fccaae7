package dev.spillway.gateway.routing;

import java.time.Clock;
import java.util.List;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SharedStateSettings;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.BackendRequests;
import dev.spillway.gateway.request.StreamContinuation;
import dev.spillway.gateway.routing.api.PoolReport;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * Smart load balancing and model routing: the pools' live backends, throttles shared through Redis, circuit
 * breakers, the failover filter, the load balancer behind {@code lb://<pool>}, and routing rules.
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class, before = GatewayAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@EnableConfigurationProperties(RoutingProperties.class)
@LoadBalancerClients(defaultConfiguration = SpillwayLoadBalancerClientConfiguration.class)
public class RoutingAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PoolRegistry spillwayPoolRegistry(Pools pools, RoutingProperties routing,
			ObjectProvider<CircuitBreakerRegistry> circuitBreakerRegistry, @Qualifier("spillwayClock") Clock clock) {
		CircuitBreakerRegistry registry = circuitBreakerRegistry.getIfAvailable(CircuitBreakerRegistry::ofDefaults);
		RoutingProperties.CircuitBreaker breaker = routing.getCircuitBreaker();
		CircuitBreakerConfig config = CircuitBreakerConfig.custom()
			.failureRateThreshold(breaker.getFailureRateThreshold())
			.slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
			.slidingWindowSize(breaker.getSlidingWindowSize())
			.minimumNumberOfCalls(breaker.getMinimumNumberOfCalls())
			.waitDurationInOpenState(breaker.getWaitDurationInOpenState())
			.permittedNumberOfCallsInHalfOpenState(breaker.getPermittedCallsInHalfOpenState())
			.automaticTransitionFromOpenToHalfOpenEnabled(true)
			.build();
		return new PoolRegistry(pools,
				backend -> new BackendState(
						registry.circuitBreaker("spillway." + backend.pool() + "." + backend.id(), config),
						breaker.getWaitDurationInOpenState().toMillis(), backend.maxRequestTokens(), clock,
						routing.getSlowStart().getWindow().toMillis(), routing.getSlowStart().getInitialShare(),
						new Headroom(routing.getHeadroom().isProactive(), routing.getHeadroom().getUtilizationLevel(),
								routing.getHeadroom().getUtilizationHold().toMillis(),
								routing.getHeadroom().getEstimateMargin())));
	}

	@Bean
	@ConditionalOnMissingBean
	SharedThrottles spillwaySharedThrottles(PoolRegistry pools, ReactiveRedisConnectionFactory redis,
			SharedStateSettings shared) {
		return new SharedThrottles(pools, new ReactiveStringRedisTemplate(redis), shared.keyPrefix(),
				shared.commandTimeout(), shared.resyncInterval());
	}

	@Bean
	@ConditionalOnMissingBean
	RoutingMetrics spillwayRoutingMetrics(ObjectProvider<MeterRegistry> meterRegistry) {
		return new RoutingMetrics(meterRegistry.getIfAvailable(SimpleMeterRegistry::new));
	}

	@Bean
	ModelRoutingFilter spillwayModelRoutingFilter(RoutingProperties routing, Pools pools) {
		RoutingRulesCheck.check(routing, pools);
		return new ModelRoutingFilter(routing.getRules(), pools);
	}

	@Bean
	FailoverFilter spillwayFailoverFilter(PoolRegistry pools, SharedThrottles throttles, RoutingProperties routing,
			RoutingMetrics metrics, @Qualifier("spillwayClock") Clock clock,
			ObjectProvider<ObservationRegistry> observations) {
		return new FailoverFilter(pools, throttles, routing, metrics, clock,
				observations.getIfAvailable(() -> ObservationRegistry.NOOP));
	}

	/** Used by the relay only when {@code spillway.streaming.continue-broken-streams} is on. */
	@Bean
	@ConditionalOnMissingBean
	StreamContinuation spillwayStreamContinuation(PoolRegistry pools, SharedThrottles throttles,
			RoutingProperties routing, RoutingMetrics metrics, @Qualifier("spillwayJsonMapper") JsonMapper json,
			ObjectProvider<HttpClient> httpClient, ObjectProvider<List<HttpHeadersFilter>> headersFilters,
			@Qualifier("spillwayClock") Clock clock) {
		return new StreamContinuer(pools, throttles, routing, new BackendRequests(json),
				httpClient.getIfAvailable(HttpClient::create), headersFilters, metrics, clock);
	}

	@Bean
	BackendStateGauges spillwayBackendStateGauges(PoolRegistry pools, @Qualifier("spillwayClock") Clock clock) {
		return new BackendStateGauges(pools, clock);
	}

	@Bean
	AnswerCompletion spillwayBreakerCompletion() {
		return new BreakerCompletion();
	}

	@Bean
	@ConditionalOnMissingBean
	PoolReport spillwayPoolReport(PoolRegistry pools, SharedThrottles throttles,
			@Qualifier("spillwayClock") Clock clock) {
		return new PoolStates(pools, throttles, clock);
	}

}
