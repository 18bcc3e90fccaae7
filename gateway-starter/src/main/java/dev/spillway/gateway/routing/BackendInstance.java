package dev.spillway.gateway.routing;

import java.net.URI;
import java.util.Map;

import dev.spillway.gateway.core.BackendDefinition;

import org.springframework.cloud.client.ServiceInstance;

/**
 * A backend of a pool at run time: its definition and its live state, and how Spring Cloud LoadBalancer sees it (a
 * service instance).
 */
final class BackendInstance implements ServiceInstance {

	private final BackendDefinition backend;

	private final int port;

	private final BackendState state;

	public BackendInstance(BackendDefinition backend, BackendState state) {
		this.backend = backend;
		this.state = state;
		URI url = backend.url();
		this.port = url.getPort() >= 0 ? url.getPort() : ("https".equalsIgnoreCase(url.getScheme()) ? 443 : 80);
	}

	public String pool() {
		return backend.pool();
	}

	public String id() {
		return backend.id();
	}

	public BackendDefinition backend() {
		return backend;
	}

	/** Live state: throttle, token hint, circuit breaker. */
	public BackendState state() {
		return state;
	}

	@Override
	public String getInstanceId() {
		return backend.id();
	}

	@Override
	public String getServiceId() {
		return backend.pool();
	}

	@Override
	public String getHost() {
		return backend.url().getHost();
	}

	@Override
	public int getPort() {
		return port;
	}

	@Override
	public boolean isSecure() {
		return "https".equalsIgnoreCase(backend.url().getScheme());
	}

	@Override
	public URI getUri() {
		return backend.url();
	}

	@Override
	public Map<String, String> getMetadata() {
		return Map.of("backend", backend.id());
	}

	@Override
	public String toString() {
		return backend.pool() + "/" + backend.id();
	}

}
