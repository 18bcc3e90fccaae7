package dev.spillway.gateway.routing;

import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Load balancer configuration applied to every {@code lb://} service id. Spillway pools get the
 * {@link SpillwayLoadBalancer}; any other service id keeps Spring Cloud's round robin, so the gateway's
 * other load-balanced routes behave as before. Not component-scanned: registered through
 * {@code @LoadBalancerClients(defaultConfiguration = ...)}.
 */
@Configuration(proxyBeanMethods = false)
class SpillwayLoadBalancerClientConfiguration {

	@Bean
	ReactorServiceInstanceLoadBalancer reactorServiceInstanceLoadBalancer(Environment environment,
			PoolRegistry pools, LoadBalancerClientFactory clientFactory) {
		String name = environment.getProperty(LoadBalancerClientFactory.PROPERTY_NAME);
		BackendSelector selector = pools.selector(name);
		if (selector != null) {
			return new SpillwayLoadBalancer(selector);
		}
		return new RoundRobinLoadBalancer(clientFactory.getLazyProvider(name, ServiceInstanceListSupplier.class),
				name);
	}

}
