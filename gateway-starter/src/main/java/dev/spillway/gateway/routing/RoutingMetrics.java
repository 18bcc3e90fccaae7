package dev.spillway.gateway.routing;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Routing metrics. Tags are pool and backend ids from configuration and a few fixed reasons, so their number is
 * bounded by the configuration.
 */
class RoutingMetrics {

	private final MeterRegistry registry;

	public RoutingMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	/** A backend answered 429 and was taken out until its wait has passed. */
	public void throttled(String pool, String backend, String reason) {
		Counter.builder("spillway.backend.throttles")
			.description("429 answers that took a backend out of rotation")
			.tag("pool", pool)
			.tag("backend", backend)
			.tag("reason", reason)
			.register(registry)
			.increment();
	}

	/** A request was sent to another backend after {@code backend} failed it before any byte reached the client. */
	public void failover(String pool, String backend, String reason) {
		Counter.builder("spillway.failovers")
			.description("Requests re-sent to another backend before the client saw anything")
			.tag("pool", pool)
			.tag("backend", backend)
			.tag("reason", reason)
			.register(registry)
			.increment();
	}

	/**
	 * A stream that {@code backend} broke after the client had its first events was continued on another backend
	 * ({@code continued}) or could not be ({@code no_backend}, {@code refused}, {@code failed}).
	 */
	public void continuation(String pool, String backend, String outcome) {
		Counter.builder("spillway.stream.continuations")
			.description("Broken streams continued on another backend, or not")
			.tag("pool", pool)
			.tag("backend", backend)
			.tag("outcome", outcome)
			.register(registry)
			.increment();
	}

	/** A request was sent again to the same backend after its 429, once its short wait had passed. */
	public void retried(String pool, String backend, String reason) {
		Counter.builder("spillway.backend.retries")
			.description("Requests re-sent to the same backend after a 429 whose wait fitted the spill budget")
			.tag("pool", pool)
			.tag("backend", backend)
			.tag("reason", reason)
			.register(registry)
			.increment();
	}

	/** Time a request spent waiting for a preferred backend to recover, within its spill budget. */
	public void waited(String pool, Duration wait) {
		Timer.builder("spillway.spill.wait")
			.description("Time requests waited for a throttled preferred backend within their spill budget")
			.tag("pool", pool)
			.register(registry)
			.record(wait);
	}

	/** A request was answered 429 or 503 because no backend of its pool could take it. */
	public void rejected(String pool, String reason) {
		Counter.builder("spillway.pool.rejections")
			.description("Requests answered 429 (every backend throttled) or 503 (every circuit open)")
			.tag("pool", pool)
			.tag("reason", reason)
			.register(registry)
			.increment();
	}

}
