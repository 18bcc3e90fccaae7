package dev.spillway.gateway.routing;

import java.time.Clock;
import java.util.function.Predicate;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * What each backend is doing now, as this instance sees it, for dashboards: {@code spillway.backend.state} is 1 for
 * the backend's current state and 0 for the others ({@code serving}, {@code throttled}, {@code circuit_open},
 * {@code ramping} — serving at less than its full share after recovering), and {@code spillway.backend.share} is the
 * share of its traffic it takes (below 1 while it ramps up, or while passed over for its reported headroom).
 */
final class BackendStateGauges implements MeterBinder {

	private final PoolRegistry pools;

	private final Clock clock;

	BackendStateGauges(PoolRegistry pools, Clock clock) {
		this.pools = pools;
		this.clock = clock;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (String pool : pools.names()) {
			for (BackendInstance backend : pools.selector(pool).backends()) {
				BackendState state = backend.state();
				gauge(registry, backend, "serving", s -> !s.circuitOpen() && !throttled(s) && s.share(now()) >= 1);
				gauge(registry, backend, "throttled", s -> !s.circuitOpen() && throttled(s));
				gauge(registry, backend, "circuit_open", BackendState::circuitOpen);
				gauge(registry, backend, "ramping", s -> !s.circuitOpen() && !throttled(s) && s.share(now()) < 1);
				Gauge.builder("spillway.backend.share", state,
						s -> s.circuitOpen() || throttled(s) || s.headroom().availableAtMillis(now(), 1) > now() ? 0
								: s.share(now()))
					.description("Share of its traffic the backend takes now (0 when throttled or passed over)")
					.tag("pool", pool)
					.tag("backend", backend.id())
					.register(registry);
			}
		}
	}

	private void gauge(MeterRegistry registry, BackendInstance backend, String name, Predicate<BackendState> in) {
		Gauge.builder("spillway.backend.state", backend.state(), s -> in.test(s) ? 1 : 0)
			.description("1 for the backend's current state, as this instance sees it")
			.tag("pool", backend.pool())
			.tag("backend", backend.id())
			.tag("state", name)
			.register(registry);
	}

	private boolean throttled(BackendState state) {
		return state.throttledUntilMillis() > now();
	}

	private long now() {
		return clock.millis();
	}

}
