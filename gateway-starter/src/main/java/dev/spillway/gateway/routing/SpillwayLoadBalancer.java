package dev.spillway.gateway.routing;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.request.LlmExchange;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;

/**
 * The load balancer behind {@code lb://<pool>}. It reads memory only, never the network, so choosing costs
 * nanoseconds.
 */
class SpillwayLoadBalancer implements ReactorServiceInstanceLoadBalancer {

	private final BackendSelector selector;

	public SpillwayLoadBalancer(BackendSelector selector) {
		this.selector = selector;
	}

	/**
	 * The backend the failover filter planned for this attempt; without a plan (a request that did not pass the
	 * failover filter), the most preferred available backend.
	 */
	@Override
	public Mono<Response<ServiceInstance>> choose(Request request) {
		if (request.getContext() instanceof RequestDataContext context
				&& context.getClientRequest().getAttributes().get(LlmExchange.ATTRIBUTE) instanceof LlmExchange llm
				&& llm.get(FailoverFilter.PLANNED) != null) {
			return Mono.just(new DefaultResponse(llm.get(FailoverFilter.PLANNED)));
		}
		long now = System.currentTimeMillis();
		BackendInstance chosen = selector
			.choose(backend -> !backend.state().circuitOpen() && backend.state().availableAtMillis(now, 0) <= now);
		return Mono.just(chosen == null ? new EmptyResponse() : new DefaultResponse(chosen));
	}

}
