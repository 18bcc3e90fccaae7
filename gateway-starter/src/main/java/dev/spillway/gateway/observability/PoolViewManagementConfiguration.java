package dev.spillway.gateway.observability;

import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * {@code /spillway} on the management port: a live view of the pools, a static page that reads
 * {@code /actuator/spillway} every second. Only in a management context of its own (a separate management port), so
 * it is never served on the port clients use.
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
class PoolViewManagementConfiguration {

	private static final ClassPathResource PAGE = new ClassPathResource("dev/spillway/gateway/observability/pools.html");

	@Bean
	RouterFunction<ServerResponse> spillwayPoolView() {
		return RouterFunctions.route()
			.GET("/spillway", request -> ServerResponse.ok().contentType(MediaType.TEXT_HTML).bodyValue(PAGE))
			.build();
	}

}
