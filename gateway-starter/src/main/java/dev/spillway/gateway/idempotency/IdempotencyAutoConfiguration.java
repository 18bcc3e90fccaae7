package dev.spillway.gateway.idempotency;

import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SharedStateSettings;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.HeavyWork;
import dev.spillway.gateway.wire.StoredAnswers;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import org.springframework.cloud.gateway.support.ConfigurationService;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * {@code Idempotency-Key}, when {@code spillway.idempotency.enabled} (default): the first request with a key owns
 * it, repeats get its answer replayed, in-flight duplicates wait, and reuse with another request is refused.
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class, before = GatewayAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@ConditionalOnProperty(prefix = "spillway.idempotency", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyAutoConfiguration {

	@Bean
	IdempotencyStore spillwayIdempotencyStore(ReactiveRedisConnectionFactory redis,
			@Qualifier("spillwayJsonMapper") JsonMapper json, SharedStateSettings shared) {
		return new IdempotencyStore(new ReactiveStringRedisTemplate(redis), json, shared.keyPrefix(),
				shared.commandTimeout());
	}

	@Bean
	IdempotencyWaiters spillwayIdempotencyWaiters(ReactiveRedisConnectionFactory redis, IdempotencyStore store,
			IdempotencyProperties idempotency) {
		return new IdempotencyWaiters(redis, store.channel(), idempotency.getMaxWaitersPerKey(),
				idempotency.getMaxWaiters());
	}

	@Bean
	IdempotencyFilter spillwayIdempotencyFilter(IdempotencyStore store, IdempotencyWaiters waiters,
			@Qualifier("spillwayJsonMapper") JsonMapper json, IdempotencyProperties idempotency, HeavyWork heavyWork) {
		return new IdempotencyFilter(store, waiters, new StoredAnswers(json), idempotency, heavyWork);
	}

	@Bean
	AnswerCompletion spillwayIdempotencyCompletion(IdempotencyStore store) {
		return new IdempotencyCompletion(store);
	}

	@Bean
	LlmIdempotencyGatewayFilterFactory llmIdempotencyGatewayFilterFactory(IdempotencyProperties idempotency) {
		return new LlmIdempotencyGatewayFilterFactory(idempotency);
	}

	@Bean
	RouteIdempotencyCheck spillwayRouteIdempotencyCheck(ObjectProvider<RouteDefinitionLocator> routes,
			ObjectProvider<ConfigurationService> configuration, LlmIdempotencyGatewayFilterFactory factory) {
		return new RouteIdempotencyCheck(routes, configuration, factory);
	}


}
