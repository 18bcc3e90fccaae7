package dev.spillway.gateway.autoconfigure;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.cache.CacheAutoConfiguration;
import dev.spillway.gateway.cache.EmbeddingModel;
import dev.spillway.gateway.idempotency.IdempotencyAutoConfiguration;
import dev.spillway.gateway.jobs.JobsAutoConfiguration;
import dev.spillway.gateway.limit.LimitAutoConfiguration;
import dev.spillway.gateway.limit.api.SubmissionLimits;
import dev.spillway.gateway.limit.api.TenantLimitsReport;
import dev.spillway.gateway.observability.ActuatorAutoConfiguration;
import dev.spillway.gateway.observability.ObservabilityAutoConfiguration;
import dev.spillway.gateway.pricing.PricingAutoConfiguration;
import dev.spillway.gateway.pricing.api.Prices;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.TenantResolver;
import dev.spillway.gateway.routing.RoutingAutoConfiguration;
import dev.spillway.gateway.routing.api.PoolReport;
import dev.spillway.gateway.streaming.StreamingAutoConfiguration;
import dev.spillway.gateway.tenant.TenantAutoConfiguration;
import dev.spillway.gateway.upstream.UpstreamAutoConfiguration;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/** Every switch of every capability, tested on the auto-configurations alone. */
class SpillwayAutoConfigurationTests {

	private final ReactiveWebApplicationContextRunner runner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class, DataRedisAutoConfiguration.class,
				DataRedisReactiveAutoConfiguration.class, SpillwayCoreAutoConfiguration.class,
				TenantAutoConfiguration.class, LimitAutoConfiguration.class, RoutingAutoConfiguration.class,
				UpstreamAutoConfiguration.class, StreamingAutoConfiguration.class, CacheAutoConfiguration.class,
				IdempotencyAutoConfiguration.class, JobsAutoConfiguration.class, PricingAutoConfiguration.class,
				ObservabilityAutoConfiguration.class, EndpointAutoConfiguration.class,
				ActuatorAutoConfiguration.class))
		.withPropertyValues("spring.data.redis.url=" + TestRedis.sharedUrl(),
				"spillway.pools.gpt.backends[0].id=east", "spillway.pools.gpt.backends[0].url=http://127.0.0.1:9",
				"spillway.pools.gpt.models[0]=gpt-4o", "spillway.tenants.acme.keys[0]=sk-acme",
				"management.endpoints.web.exposure.include=spillway");

	@Test
	void everyCapabilityIsOnByDefaultButTheCache() {
		runner.run(context -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBeansOfType(GlobalFilter.class).keySet()).contains("spillwayLlmExchangeFilter",
					"spillwayTenantAuthenticationFilter", "spillwayRequestBodyFilter", "spillwayJobSubmissionFilter",
					"spillwayModelRoutingFilter", "spillwayLimitFilter", "spillwayIdempotencyFilter",
					"spillwayStreamingResponseFilter", "spillwayFailoverFilter", "spillwayBackendRequestFilter");
			assertThat(context).doesNotHaveBean("spillwayCacheFilter").doesNotHaveBean(EmbeddingModel.class);
			assertThat(context.getBeansOfType(AnswerCompletion.class)).hasSize(6);
			assertThat(context.getBeansOfType(TenantResolver.class)).hasSize(2);
			assertThat(context).hasBean("spillwayEndpoint");
		});
	}

	@Test
	void spillwayDisabledLeavesTheGatewayAlone() {
		runner.withPropertyValues("spillway.enabled=false").run(context -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBeansOfType(GlobalFilter.class).keySet()).noneMatch(name -> name.startsWith("spillway"));
			assertThat(context).doesNotHaveBean(AnswerCompletion.class).doesNotHaveBean(PoolReport.class)
				.doesNotHaveBean("spillwayEndpoint");
		});
	}

	@Test
	void theCacheOnAddsItsFilterItsCompletionAndAnEmbeddingModel() {
		runner.withPropertyValues("spillway.cache.enabled=true", "spillway.cache.embedding.type=none").run(context -> {
			assertThat(context).hasBean("spillwayCacheFilter").hasBean("spillwayCacheCompletion")
				.hasSingleBean(EmbeddingModel.class);
			assertThat(context.getBeansOfType(AnswerCompletion.class)).hasSize(7);
		});
	}

	@Test
	void idempotencyOffHasNoIdempotencyBeans() {
		runner.withPropertyValues("spillway.idempotency.enabled=false").run(context -> {
			assertThat(context).doesNotHaveBean("spillwayIdempotencyFilter")
				.doesNotHaveBean("spillwayIdempotencyCompletion")
				.doesNotHaveBean("spillwayIdempotencyStore");
			assertThat(context.getBeansOfType(AnswerCompletion.class)).hasSize(5);
		});
	}

	@Test
	void jobsOffHaveNoJobBeansAndNoJobCredential() {
		runner.withPropertyValues("spillway.jobs.enabled=false").run(context -> {
			assertThat(context).doesNotHaveBean("spillwayJobSubmissionFilter").doesNotHaveBean("spillwayJobWorkers")
				.doesNotHaveBean("spillwayJobRoutes");
			assertThat(context.getBeansOfType(TenantResolver.class)).hasSize(1);
		});
	}

	@Test
	void theStarterStartsWithoutActuator() {
		runner.withClassLoader(new FilteredClassLoader(Endpoint.class)).run(context -> {
			assertThat(context).hasNotFailed().doesNotHaveBean("spillwayEndpoint")
				.doesNotHaveBean("spillwayHealthIndicator");
			assertThat(context).hasBean("spillwayFailoverFilter");
		});
	}

	@Test
	void theEndpointExistsOnlyWhereItIsExposed() {
		runner.withPropertyValues("management.endpoints.web.exposure.include=health")
			.run(context -> assertThat(context).doesNotHaveBean("spillwayEndpoint"));
	}

	@Test
	void aUsersBeansWinOverSpillways() {
		runner.withPropertyValues("spillway.cache.enabled=true").withUserConfiguration(UsersOwn.class).run(context -> {
			assertThat(context.getBean("spillwayJsonMapper")).isSameAs(UsersOwn.JSON);
			assertThat(context.getBean("spillwayClock")).isSameAs(UsersOwn.CLOCK);
			assertThat(context.getBean(EmbeddingModel.class)).isSameAs(UsersOwn.EMBEDDINGS);
			assertThat(context.getBean(Prices.class)).isSameAs(UsersOwn.PRICES);
			assertThat(context.getBean(PoolReport.class)).isSameAs(UsersOwn.POOLS);
			assertThat(context.getBean(TenantLimitsReport.class)).isSameAs(UsersOwn.LIMITS);
			assertThat(context.getBean(SubmissionLimits.class)).isSameAs(UsersOwn.SUBMISSIONS);
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class UsersOwn {

		static final JsonMapper JSON = JsonMapper.builder().build();

		static final Clock CLOCK = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);

		static final EmbeddingModel EMBEDDINGS = new EmbeddingModel() {

			@Override
			public String id() {
				return "users-own";
			}

			@Override
			public reactor.core.publisher.Mono<float[]> embed(String text) {
				return reactor.core.publisher.Mono.empty();
			}

		};

		static final Prices PRICES = new Prices() {

			@Override
			public double cost(String model, long promptTokens, long completionTokens) {
				return -1;
			}

			@Override
			public java.util.Set<String> pricedModels() {
				return java.util.Set.of();
			}

		};

		static final PoolReport POOLS = new PoolReport() {

			@Override
			public java.util.Map<String, java.util.Map<String, String>> summary() {
				return java.util.Map.of();
			}

			@Override
			public java.util.Map<String, java.util.Map<String, java.util.Map<String, Object>>> details() {
				return java.util.Map.of();
			}

			@Override
			public boolean sharedStateConnected() {
				return true;
			}

		};

		static final TenantLimitsReport LIMITS = new TenantLimitsReport() {

			@Override
			public reactor.core.publisher.Mono<java.util.Map<String, Object>> limits(String tenant) {
				return reactor.core.publisher.Mono.empty();
			}

			@Override
			public java.util.Set<String> limitedModels() {
				return java.util.Set.of();
			}

		};

		static final SubmissionLimits SUBMISSIONS = (exchange, llm, whenAdmitted) -> whenAdmitted.get();

		@Bean
		JsonMapper spillwayJsonMapper() {
			return JSON;
		}

		@Bean
		Clock spillwayClock() {
			return CLOCK;
		}

		@Bean
		EmbeddingModel usersEmbeddingModel() {
			return EMBEDDINGS;
		}

		@Bean
		Prices usersPrices() {
			return PRICES;
		}

		@Bean
		PoolReport usersPoolReport() {
			return POOLS;
		}

		@Bean
		TenantLimitsReport usersLimitsReport() {
			return LIMITS;
		}

		@Bean
		SubmissionLimits usersSubmissionLimits() {
			return SUBMISSIONS;
		}

	}

}
