package dev.spillway.gateway.routing.api;

import dev.spillway.gateway.request.Slot;

/**
 * Pins a request to one backend of its pool: routing then tries that backend only — it waits for it within the
 * spill budget, or answers 429 / 503 with its wait — and never fails over to another backend or a fallback pool.
 * For requests that refer to state only that backend holds (a stored response).
 */
public final class BackendPin {

	/** The id of the backend (in the request's pool) the request must reach. */
	public static final Slot<String> BACKEND = Slot.named("pinned backend");

	private BackendPin() {
	}

}
