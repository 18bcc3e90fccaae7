package dev.spillway.gateway;

import java.time.Clock;
import java.util.Map;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

/** Test gateways started by hand, for tests that start several, restart them, or expect a start to fail. */
public final class TestGateways {

	private TestGateways() {
	}

	/**
	 * Starts the test gateway with {@code properties} as command-line arguments: they outrank application.yml (a list
	 * given here, such as the routes, replaces the file's).
	 */
	public static ConfigurableApplicationContext start(Map<String, ?> properties) {
		return new SpringApplicationBuilder(TestGatewayApplication.class)
			.run(properties.entrySet().stream().map(entry -> "--" + entry.getKey() + "=" + entry.getValue())
				.toArray(String[]::new));
	}

	/** Starts the test gateway as {@link #start(Map)} does, with {@code clock} as its {@code spillwayClock}. */
	public static ConfigurableApplicationContext start(Map<String, ?> properties, Clock clock) {
		return new SpringApplicationBuilder(TestGatewayApplication.class)
			.initializers(context -> ((GenericApplicationContext) context).registerBean("spillwayClock", Clock.class,
					() -> clock))
			.run(properties.entrySet().stream().map(entry -> "--" + entry.getKey() + "=" + entry.getValue())
				.toArray(String[]::new));
	}

	/** A client of a running gateway. */
	public static GatewayClient client(ConfigurableApplicationContext gateway) {
		return new GatewayClient(((WebServerApplicationContext) gateway).getWebServer().getPort());
	}

	/** The messages of a failure and of all its causes, a line each. */
	public static String messages(Throwable failure) {
		StringBuilder messages = new StringBuilder();
		for (Throwable t = failure; t != null; t = t.getCause()) {
			messages.append(t.getMessage()).append('\n');
		}
		return messages.toString();
	}

}
