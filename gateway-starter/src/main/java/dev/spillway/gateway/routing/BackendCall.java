package dev.spillway.gateway.routing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One call to one backend, holding a circuit-breaker permission until its outcome is known: at once for a
 * failover, or when the answer's body has ended for the call whose answer goes to the client (a stream is only
 * a success once it completed). Settles exactly once.
 */
final class BackendCall {

	private final BackendInstance backend;

	private final long startNanos = System.nanoTime();

	private final AtomicBoolean settled = new AtomicBoolean();

	BackendCall(BackendInstance backend) {
		this.backend = backend;
	}

	public BackendInstance backend() {
		return backend;
	}

	public void succeeded() {
		if (settled.compareAndSet(false, true)) {
			backend.state().breaker().onSuccess(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
		}
	}

	public void failed(Throwable failure) {
		if (settled.compareAndSet(false, true)) {
			backend.state().breaker().onError(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS, failure);
		}
	}

	/** Neither success nor failure of the backend (throttled, or the client went away): gives the permission back. */
	public void released() {
		if (settled.compareAndSet(false, true)) {
			backend.state().breaker().releasePermission();
		}
	}

}
