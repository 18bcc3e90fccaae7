package dev.spillway.gateway.idempotency;

import java.time.Duration;
import java.util.List;

import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.request.RouteSettingsFilter;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.factory.AbstractGatewayFilterFactory;

/**
 * {@code LlmIdempotency}: a route's own {@code Idempotency-Key} settings over the global
 * {@code spillway.idempotency.*} ones: whether keys are honoured on the route and how long an answer is kept for
 * them. Shortcut: {@code filters: [ LlmIdempotency=24h ]} (the TTL). Checked when the application starts; a wrong
 * value fails start-up naming the route.
 */
public class LlmIdempotencyGatewayFilterFactory
		extends AbstractGatewayFilterFactory<LlmIdempotencyGatewayFilterFactory.Config> {

	/** Exchange attribute holding the route's {@link RouteIdempotency}, read by the idempotency filter. */
	static final String SETTINGS_ATTR = LlmIdempotencyGatewayFilterFactory.class.getName() + ".settings";

	private final IdempotencyProperties global;

	LlmIdempotencyGatewayFilterFactory(IdempotencyProperties global) {
		super(Config.class);
		this.global = global;
	}

	@Override
	public List<String> shortcutFieldOrder() {
		return List.of("ttl");
	}

	@Override
	public GatewayFilter apply(Config config) {
		return RouteSettingsFilter.of(SETTINGS_ATTR, config.validate().over(global), SpillwayFilterOrders.IDEMPOTENCY);
	}

	/** A route's settings; unset fields take the global value. */
	public static class Config {

		private Boolean enabled;

		private Duration ttl;

		public Boolean getEnabled() {
			return enabled;
		}

		public Config setEnabled(Boolean enabled) {
			this.enabled = enabled;
			return this;
		}

		public Duration getTtl() {
			return ttl;
		}

		public Config setTtl(Duration ttl) {
			this.ttl = ttl;
			return this;
		}

		/** Checks the values that can be wrong; returns this. */
		public Config validate() {
			if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
				throw new IllegalArgumentException("ttl must be positive, was " + ttl);
			}
			return this;
		}

		RouteIdempotency over(IdempotencyProperties global) {
			return new RouteIdempotency(enabled == null || enabled, ttl != null ? ttl : global.getTtl());
		}

	}

	/**
	 * A route's effective settings.
	 *
	 * @param enabled whether keys are honoured on the route
	 * @param ttl how long an answer is kept for its key
	 */
	record RouteIdempotency(boolean enabled, Duration ttl) {
	}

}
