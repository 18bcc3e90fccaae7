package dev.spillway.gateway.pricing;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.pricing.api.Prices;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** Prices of models ({@code spillway.pricing}), for cost metrics. */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@EnableConfigurationProperties(PricingProperties.class)
public class PricingAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	Prices spillwayPrices(PricingProperties pricing) {
		return new ConfiguredPrices(pricing.getPricing());
	}

}
