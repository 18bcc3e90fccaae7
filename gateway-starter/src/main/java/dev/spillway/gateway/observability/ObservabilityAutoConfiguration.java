package dev.spillway.gateway.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.limit.api.TenantLimitsReport;
import dev.spillway.gateway.pricing.api.Prices;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.context.annotation.Bean;

/** Usage and cost metrics per tenant and model, and the request log line; both run at the end of every answer. */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class,
		afterName = { "dev.spillway.gateway.pricing.PricingAutoConfiguration",
				"dev.spillway.gateway.limit.LimitAutoConfiguration" })
@ConditionalOnBean(Pools.class)
public class ObservabilityAutoConfiguration {

	@Bean
	UsageMetrics spillwayUsageMetrics(ObjectProvider<MeterRegistry> meterRegistry, Pools pools, Prices prices,
			ObjectProvider<TenantLimitsReport> limits) {
		return new UsageMetrics(meterRegistry.getIfAvailable(SimpleMeterRegistry::new), pools, prices,
				limits.getIfAvailable());
	}

	@Bean
	GenAiMetrics spillwayGenAiMetrics(ObjectProvider<MeterRegistry> meterRegistry, UsageMetrics usage) {
		return new GenAiMetrics(meterRegistry.getIfAvailable(SimpleMeterRegistry::new), usage);
	}

	@Bean
	RequestObservationFilter spillwayRequestObservationFilter(ObjectProvider<ObservationRegistry> observations) {
		return new RequestObservationFilter(observations.getIfAvailable(() -> ObservationRegistry.NOOP));
	}

	@Bean
	RequestLog spillwayRequestLog() {
		return new RequestLog();
	}

}
