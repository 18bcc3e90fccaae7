package dev.spillway.gateway.limit;

import java.time.Clock;
import java.time.Duration;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.SharedStateSettings;
import dev.spillway.gateway.core.SpillwayProperties;
import dev.spillway.gateway.core.Tenants;
import dev.spillway.gateway.error.RetrySpread;
import dev.spillway.gateway.limit.api.SubmissionLimits;
import dev.spillway.gateway.limit.api.TenantLimitsReport;
import dev.spillway.gateway.request.AnswerCompletion;

import io.micrometer.core.instrument.MeterRegistry;

import dev.spillway.gateway.pricing.api.Prices;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * Tenant limits in tokens and requests: Bucket4j buckets in Redis, admission before a request goes upstream, the
 * charge of what it really used after, and the tenant's {@code x-ratelimit-*} headers.
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class, before = GatewayAutoConfiguration.class)
@ConditionalOnBean(Tenants.class)
@EnableConfigurationProperties({ LimitProperties.class, TenantLimitsProperties.class })
public class LimitAutoConfiguration {

	/** How long an instance's count of held tokens counts after its last change (the holds of an instance that died). */
	private static final Duration HELD_EXPIRY = Duration.ofMinutes(5);

	@Bean
	LimitPlans spillwayLimitPlans(SpillwayProperties properties, LimitProperties limits,
			TenantLimitsProperties overrides, Tenants tenants, SharedStateSettings shared) {
		LimitTiersCheck.check(properties, limits, overrides);
		return new LimitPlans(limits, overrides, tenants, shared.keyPrefix(), 1);
	}

	@Bean(destroyMethod = "destroy")
	LimitBuckets spillwayLimitBuckets(ReactiveRedisConnectionFactory redis, SharedStateSettings shared,
			@Qualifier("spillwayClock") Clock clock) {
		return new LimitBuckets(redis, shared.commandTimeout(), clock);
	}

	@Bean
	TenantLimiter spillwayTenantLimiter(LimitBuckets buckets, LimitProperties limits, TenantLimitsProperties overrides,
			Tenants tenants, SharedStateSettings shared, ReactiveRedisConnectionFactory redis,
			@Qualifier("spillwayClock") Clock clock) {
		LimitProperties.WaitForHeld waiting = limits.getWaitForHeld();
		HeldTokens held = waiting.getMaxWait().isZero() || waiting.getMaxWaiters() == 0 ? null
				: new HeldTokens(new ReactiveStringRedisTemplate(redis), shared.commandTimeout(), clock, HELD_EXPIRY);
		return new TenantLimiter(buckets, shared.commandTimeout(), limits.getRedisRetryInterval(),
				limits.getWhenRedisDown(),
				new LimitPlans(limits, overrides, tenants, shared.keyPrefix(), limits.getLocalInstances()), held,
				waiting.getMaxWait(), waiting.getMaxWaiters());
	}

	@Bean
	CompletionSizes spillwayCompletionSizes(LimitProperties limits) {
		LimitProperties.Reservation reservation = limits.getReservation();
		return new CompletionSizes(reservation.getHistory(), reservation.getPercentile(), reservation.getFloor(),
				reservation.getMaxTracked(), reservation.getMaxLearnedInFlight());
	}

	@Bean
	LimitRejection spillwayLimitRejection(@Qualifier("spillwayClock") Clock clock, LimitProperties limits) {
		return new LimitRejection(clock, limits.getRedisRetryInterval(), new RetrySpread(clock, limits.getRetrySpread()));
	}

	@Bean
	LimitFilter spillwayLimitFilter(LimitPlans plans, TenantLimiter limiter, LimitRejection rejection,
			LimitProperties limits, CompletionSizes sizes, BudgetLedger ledger, BudgetCosts costs, BudgetMetrics metrics) {
		return new LimitFilter(plans, limiter, rejection, limits.getReservation().isLearn() ? sizes : null, ledger,
				costs, metrics);
	}

	@Bean
	BudgetLedger spillwayBudgetLedger(ReactiveRedisConnectionFactory redis, SharedStateSettings shared,
			@Qualifier("spillwayClock") Clock clock, LimitProperties limits, TenantLimiter limiter) {
		return new BudgetLedger(new ReactiveStringRedisTemplate(redis), shared.keyPrefix(), shared.commandTimeout(),
				clock, limits.getBudgets().getZone(), limits.getWhenRedisDown(), limits.getLocalInstances(), limiter);
	}

	@Bean
	BudgetCosts spillwayBudgetCosts(ObjectProvider<Prices> prices, LimitProperties limits) {
		return new BudgetCosts(prices.getIfAvailable(), limits.getBudgets());
	}

	@Bean
	BudgetMetrics spillwayBudgetMetrics(ObjectProvider<MeterRegistry> registry) {
		return new BudgetMetrics(registry.getIfAvailable());
	}

	@Bean
	AnswerCompletion spillwayLimitCompletion(TenantLimiter limiter, BudgetLedger ledger, BudgetCosts costs,
			BudgetMetrics metrics, LimitProperties limits) {
		return new LimitCompletion(limiter, ledger, costs, metrics, limits.getSettleTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	SubmissionLimits spillwaySubmissionLimits(LimitPlans plans, TenantLimiter limiter, LimitRejection rejection) {
		return new SubmissionAdmission(plans, limiter, rejection);
	}

	@Bean
	@ConditionalOnMissingBean
	TenantLimitsReport spillwayTenantLimitsReport(Tenants tenants, LimitPlans plans, TenantLimiter limiter,
			BudgetLedger ledger) {
		return new LimitReport(tenants, plans, limiter, ledger);
	}

}
