package dev.spillway.gateway.responses;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SharedStateSettings;
import dev.spillway.gateway.request.AnswerCompletion;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * Responses API state, when {@code spillway.responses.affinity} (default): stored responses are reached through
 * the backend that stored them.
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class, before = GatewayAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@ConditionalOnProperty(prefix = "spillway.responses", name = "affinity", matchIfMissing = true)
@EnableConfigurationProperties(ResponsesProperties.class)
public class ResponsesAutoConfiguration {

	@Bean
	ResponseAffinityStore spillwayResponseAffinityStore(ReactiveRedisConnectionFactory redis, SharedStateSettings shared) {
		return new ResponseAffinityStore(new ReactiveStringRedisTemplate(redis), shared.keyPrefix(),
				shared.commandTimeout());
	}

	@Bean
	ResponseAffinityFilter spillwayResponseAffinityFilter(ResponseAffinityStore store, Pools pools) {
		return new ResponseAffinityFilter(store, pools);
	}

	@Bean
	AnswerCompletion spillwayResponseAffinityCompletion(ResponseAffinityStore store, ResponsesProperties responses) {
		return new ResponseAffinityCompletion(store, responses.getAffinityTtl());
	}

}
