package dev.spillway.gateway.request;

import io.micrometer.observation.Observation;

/**
 * Where a request's observation (its span, with a tracing bridge) is kept, so that each backend attempt can be
 * observed as its child and the answer's attributes can be added before it stops.
 */
public final class LlmObservations {

	/** The observation of the client's request; absent when observations are off. */
	public static final Slot<Observation> REQUEST = Slot.named("request.observation");

	private LlmObservations() {
	}

}
