package dev.spillway.gateway.request;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.OrderedGatewayFilter;

/**
 * The route filter a capability's per-route settings become: it puts the route's settings on the exchange right
 * before the capability's global filter, which reads them there instead of its global settings.
 */
public final class RouteSettingsFilter {

	private RouteSettingsFilter() {
	}

	/**
	 * @param attribute the exchange attribute the capability's filter reads
	 * @param settings the route's settings, already checked
	 * @param capabilityOrder the order of the capability's global filter
	 */
	public static GatewayFilter of(String attribute, Object settings, int capabilityOrder) {
		return new OrderedGatewayFilter((exchange, chain) -> {
			exchange.getAttributes().put(attribute, settings);
			return chain.filter(exchange);
		}, capabilityOrder - 1);
	}

}
