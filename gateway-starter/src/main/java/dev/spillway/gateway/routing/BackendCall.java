package dev.spillway.gateway.routing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.observation.Observation;

/**
 * One call to one backend, holding a circuit-breaker permission until its outcome is known: at once for a
 * failover, or when the answer's body has ended for the call whose answer goes to the client (a stream is only
 * a success once it completed). Settles exactly once.
 */
final class BackendCall {

	private final BackendInstance backend;

	private final long startNanos = System.nanoTime();

	private final AtomicBoolean settled = new AtomicBoolean();

	private final Observation observation;

	BackendCall(BackendInstance backend) {
		this(backend, null);
	}

	/** @param observation the attempt's observation (a child of the request's), stopped with the outcome; may be null */
	BackendCall(BackendInstance backend, Observation observation) {
		this.backend = backend;
		this.observation = observation;
	}

	public BackendInstance backend() {
		return backend;
	}

	public void succeeded() {
		if (settled.compareAndSet(false, true)) {
			backend.state().breaker().onSuccess(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
			stop("success", null);
		}
	}

	public void failed(Throwable failure) {
		if (settled.compareAndSet(false, true)) {
			backend.state().breaker().onError(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS, failure);
			stop("failure", failure);
		}
	}

	/** Neither success nor failure of the backend (throttled, or the client went away): gives the permission back. */
	public void released() {
		if (settled.compareAndSet(false, true)) {
			backend.state().breaker().releasePermission();
			stop("released", null);
		}
	}

	private void stop(String outcome, Throwable failure) {
		if (observation != null) {
			if (failure != null) {
				observation.error(failure);
			}
			observation.lowCardinalityKeyValue("spillway.outcome", outcome).stop();
		}
	}

}
