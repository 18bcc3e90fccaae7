package dev.spillway.gateway.routing;

import java.net.URI;
import java.util.Map;

import dev.spillway.gateway.config.SpillwayProperties;

import org.springframework.cloud.client.ServiceInstance;

/** A backend of a pool as Spring Cloud LoadBalancer sees it: a service instance that knows its configuration. */
public final class BackendInstance implements ServiceInstance {

	private final String pool;

	private final SpillwayProperties.Backend backend;

	private final int port;

	private final BackendState state;

	public BackendInstance(String pool, SpillwayProperties.Backend backend, BackendState state) {
		this.pool = pool;
		this.backend = backend;
		this.state = state;
		URI url = backend.getUrl();
		this.port = url.getPort() >= 0 ? url.getPort() : ("https".equalsIgnoreCase(url.getScheme()) ? 443 : 80);
	}

	public String pool() {
		return pool;
	}

	public String id() {
		return backend.getId();
	}

	public SpillwayProperties.Backend backend() {
		return backend;
	}

	/** Live state: throttle, token hint, circuit breaker. */
	public BackendState state() {
		return state;
	}

	@Override
	public String getInstanceId() {
		return backend.getId();
	}

	@Override
	public String getServiceId() {
		return pool;
	}

	@Override
	public String getHost() {
		return backend.getUrl().getHost();
	}

	@Override
	public int getPort() {
		return port;
	}

	@Override
	public boolean isSecure() {
		return "https".equalsIgnoreCase(backend.getUrl().getScheme());
	}

	@Override
	public URI getUri() {
		return backend.getUrl();
	}

	@Override
	public Map<String, String> getMetadata() {
		return Map.of("backend", backend.getId());
	}

	@Override
	public String toString() {
		return pool + "/" + backend.getId();
	}

}
