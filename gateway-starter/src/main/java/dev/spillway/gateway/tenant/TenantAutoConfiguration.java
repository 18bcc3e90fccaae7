package dev.spillway.gateway.tenant;

import java.util.List;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Tenants;
import dev.spillway.gateway.request.TenantResolver;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.context.annotation.Bean;

/** Who is calling: the API-key resolver and the filter that asks every {@link TenantResolver}. */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class, before = GatewayAutoConfiguration.class)
@ConditionalOnBean(Tenants.class)
public class TenantAutoConfiguration {

	@Bean
	TenantResolver spillwayApiKeyTenantResolver(Tenants tenants) {
		return new ApiKeyTenantResolver(new TenantDirectory(tenants));
	}

	@Bean
	TenantAuthenticationFilter spillwayTenantAuthenticationFilter(ObjectProvider<TenantResolver> resolvers,
			Tenants tenants) {
		List<TenantResolver> ordered = resolvers.orderedStream().toList();
		return new TenantAuthenticationFilter(ordered, tenants);
	}

}
