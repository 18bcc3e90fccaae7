package dev.spillway.gateway.upstream;

import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.request.BackendRequests;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.context.annotation.Bean;

/** How requests are worded for the chosen backend, and which headers cross the gateway. */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class, before = GatewayAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@EnableConfigurationProperties(HeaderProperties.class)
public class UpstreamAutoConfiguration {

	@Bean
	BackendRequestFilter spillwayBackendRequestFilter(@Qualifier("spillwayJsonMapper") JsonMapper json) {
		return new BackendRequestFilter(new BackendRequests(json));
	}

	@Bean
	HttpHeadersFilter spillwayHeadersToBackends(HeaderProperties headers) {
		return HeaderAllowList.toBackends(headers.getToBackends());
	}

	@Bean
	HttpHeadersFilter spillwayHeadersToClients(HeaderProperties headers) {
		return HeaderAllowList.toClients(headers.getToClients());
	}

}
