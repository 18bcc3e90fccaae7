package dev.spillway.gateway.request;

import java.time.Duration;
import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.cloud.gateway.filter.FilterDefinition;
import org.springframework.cloud.gateway.filter.factory.AbstractGatewayFilterFactory;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import org.springframework.cloud.gateway.support.ConfigurationService;

/**
 * Checks a capability's route filter on every route when the application starts, before the first request: each
 * use is bound the way Spring Cloud Gateway binds it and validated, and a use while the capability is off is
 * refused. A wrong value fails start-up with a message naming the route (Spring Cloud Gateway itself only logs a
 * route it cannot build, and serves without it).
 *
 * @param <C> the filter's configuration
 */
public abstract class RouteFilterCheck<C> implements SmartInitializingSingleton {

	private final ObjectProvider<RouteDefinitionLocator> routes;

	private final ObjectProvider<ConfigurationService> configuration;

	private final String filter;

	private final AbstractGatewayFilterFactory<C> factory;

	/**
	 * @param filter the filter's name in route definitions
	 * @param factory the filter's factory, or {@code null} when its capability is off
	 */
	protected RouteFilterCheck(ObjectProvider<RouteDefinitionLocator> routes,
			ObjectProvider<ConfigurationService> configuration, String filter, AbstractGatewayFilterFactory<C> factory) {
		this.routes = routes;
		this.configuration = configuration;
		this.filter = filter;
		this.factory = factory;
	}

	/** Validates one bound configuration; throws {@link IllegalArgumentException} for a wrong value. */
	protected abstract void validate(C config);

	/** What to do when the capability is off and a route uses the filter (the message of the start-up failure). */
	protected abstract String whenOff();

	/** Further checks of a route (e.g. a deprecated form of the same settings); none by default. */
	protected void checkRoute(RouteDefinition route) {
	}

	@Override
	public void afterSingletonsInstantiated() {
		RouteDefinitionLocator locator = routes.getIfAvailable();
		if (locator == null) {
			return;
		}
		List<RouteDefinition> definitions = locator.getRouteDefinitions().collectList().block(Duration.ofSeconds(30));
		for (RouteDefinition route : definitions == null ? List.<RouteDefinition>of() : definitions) {
			for (FilterDefinition use : route.getFilters()) {
				if (filter.equals(use.getName())) {
					check(route, use);
				}
			}
			checkRoute(route);
		}
	}

	private void check(RouteDefinition route, FilterDefinition use) {
		if (factory == null) {
			throw new IllegalStateException("Route '" + route.getId() + "' has the " + filter + " filter, but "
					+ whenOff());
		}
		try {
			C config = configuration.getObject().with(factory).name(filter).properties(use.getArgs()).bind();
			validate(config);
		}
		catch (RuntimeException invalid) {
			throw new IllegalStateException("Route '" + route.getId() + "': " + filter + " " + use.getArgs()
					+ " is not valid: " + rootMessage(invalid), invalid);
		}
	}

	/** The innermost message of a failure, which names what was wrong. */
	protected static String rootMessage(Throwable failure) {
		Throwable root = failure;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage() == null ? root.toString() : root.getMessage();
	}

}
