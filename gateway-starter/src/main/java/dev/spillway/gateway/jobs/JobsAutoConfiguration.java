package dev.spillway.gateway.jobs;

import java.time.Clock;

import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SharedStateSettings;
import dev.spillway.gateway.limit.api.SubmissionLimits;
import dev.spillway.gateway.request.TenantResolver;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * Async jobs ({@code Prefer: respond-async}), when {@code spillway.jobs.enabled} (default): submissions are queued
 * in a Redis Stream and answered 202; this instance's workers call the gateway itself to run them.
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class,
		afterName = "dev.spillway.gateway.limit.LimitAutoConfiguration", before = GatewayAutoConfiguration.class)
@ConditionalOnBean({ Pools.class, SubmissionLimits.class })
@ConditionalOnProperty(prefix = "spillway.jobs", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(JobsProperties.class)
public class JobsAutoConfiguration {

	@Bean
	JobStore spillwayJobStore(ReactiveRedisConnectionFactory redis, SharedStateSettings shared, JobsProperties jobs,
			@Qualifier("spillwayClock") Clock clock) {
		return new JobStore(new ReactiveStringRedisTemplate(redis), shared.keyPrefix(), jobs.getResultTtl(),
				shared.commandTimeout(), clock);
	}

	@Bean
	JobToken spillwayJobToken() {
		return new JobToken();
	}

	@Bean
	JobCallerFilter spillwayJobCallerFilter(JobToken jobToken) {
		return new JobCallerFilter(jobToken);
	}

	@Bean
	TenantResolver spillwayJobTenantResolver() {
		return new JobTenantResolver();
	}

	@Bean
	JobSubmissionFilter spillwayJobSubmissionFilter(JobStore store, @Qualifier("spillwayJsonMapper") JsonMapper json,
			SubmissionLimits limits, JobsProperties jobs, @Qualifier("spillwayClock") Clock clock) {
		return new JobSubmissionFilter(store, json, limits, jobs, clock);
	}

	@Bean
	JobWorkers spillwayJobWorkers(JobStore store, JobToken token, ObjectProvider<WebClient.Builder> webClient,
			JobsProperties jobs, @Qualifier("spillwayJsonMapper") JsonMapper json,
			@Qualifier("spillwayClock") Clock clock) {
		return new JobWorkers(store, token, webClient.getIfAvailable(WebClient::builder), jobs, json, clock);
	}

	@Bean
	@ConditionalOnProperty(prefix = "spillway.jobs", name = "status-enabled", matchIfMissing = true)
	RouterFunction<ServerResponse> spillwayJobRoutes(JobStore store, ObjectProvider<TenantResolver> tenants,
			@Qualifier("spillwayJsonMapper") JsonMapper json, JobsProperties jobs) {
		JobEndpoint endpoint = new JobEndpoint(store, tenants.orderedStream().toList(), json);
		return RouterFunctions.route(RequestPredicates.GET(jobs.statusPathPrefix() + "{id}"), endpoint::get);
	}

}
