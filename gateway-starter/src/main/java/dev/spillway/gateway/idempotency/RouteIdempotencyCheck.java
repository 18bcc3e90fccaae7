package dev.spillway.gateway.idempotency;

import dev.spillway.gateway.request.RouteFilterCheck;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import org.springframework.cloud.gateway.support.ConfigurationService;

/** Checks every route's {@code LlmIdempotency} filter at start-up; with idempotency off, the filter fails start-up. */
final class RouteIdempotencyCheck extends RouteFilterCheck<LlmIdempotencyGatewayFilterFactory.Config> {

	/** @param factory the route filter, or {@code null} when idempotency is off */
	RouteIdempotencyCheck(ObjectProvider<RouteDefinitionLocator> routes,
			ObjectProvider<ConfigurationService> configuration, LlmIdempotencyGatewayFilterFactory factory) {
		super(routes, configuration, "LlmIdempotency", factory);
	}

	@Override
	protected void validate(LlmIdempotencyGatewayFilterFactory.Config config) {
		config.validate();
	}

	@Override
	protected String whenOff() {
		return "Idempotency-Key handling is off: set spillway.idempotency.enabled=true, or remove the filter.";
	}

}
