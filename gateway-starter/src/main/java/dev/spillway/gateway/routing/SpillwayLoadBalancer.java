package dev.spillway.gateway.routing;

import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;

/**
 * The load balancer behind {@code lb://<pool>}: priority groups, weights inside a group. It reads memory only,
 * never the network, so choosing costs nanoseconds.
 */
public class SpillwayLoadBalancer implements ReactorServiceInstanceLoadBalancer {

	private final BackendSelector selector;

	public SpillwayLoadBalancer(BackendSelector selector) {
		this.selector = selector;
	}

	@Override
	public Mono<Response<ServiceInstance>> choose(Request request) {
		BackendInstance chosen = selector.choose(backend -> true);
		return Mono.just(chosen == null ? new EmptyResponse() : new DefaultResponse(chosen));
	}

}
