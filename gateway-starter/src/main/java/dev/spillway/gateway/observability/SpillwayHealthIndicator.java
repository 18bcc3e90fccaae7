package dev.spillway.gateway.observability;

import java.time.Duration;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.routing.api.PoolReport;

import org.springframework.boot.health.contributor.AbstractReactiveHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;

/**
 * Health of Spillway on this instance: each pool's backends (UP, THROTTLED until T, CIRCUIT_OPEN until T) and
 * whether the shared state in Redis is reachable. Throttled or broken backends and an unreachable Redis do not
 * make the instance DOWN — it still serves, with local state — they are reported in the details.
 */
class SpillwayHealthIndicator extends AbstractReactiveHealthIndicator {

	private final PoolReport pools;

	private final ReactiveRedisConnectionFactory redis;

	private final Duration timeout;

	SpillwayHealthIndicator(PoolReport pools, ReactiveRedisConnectionFactory redis, Duration timeout) {
		super("Spillway health check failed");
		this.pools = pools;
		this.redis = redis;
		this.timeout = timeout;
	}

	@Override
	protected Mono<Health> doHealthCheck(Health.Builder builder) {
		return Mono.usingWhen(Mono.fromSupplier(redis::getReactiveConnection), c -> c.ping(), c -> c.closeLater())
			.timeout(timeout)
			.map(pong -> "UP")
			.onErrorReturn("DOWN")
			.map(redisState -> builder.up()
				.withDetail("sharedState", redisState.equals("UP") && pools.sharedStateConnected() ? "CONNECTED"
						: redisState.equals("UP") ? "RECONNECTING" : "DISCONNECTED (serving with local state)")
				.withDetail("pools", pools.summary())
				.build());
	}

}
