package dev.spillway.mock;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/** Lets a gated stream write one more event per {@link #release()}. For one stream. */
public final class StreamGate {

	private final Sinks.Many<Integer> permits = Sinks.many().unicast().onBackpressureBuffer();

	/** Lets the stream write its next event. */
	public void release() {
		permits.emitNext(1, Sinks.EmitFailureHandler.busyLooping(java.time.Duration.ofSeconds(1)));
	}

	/** Lets the stream write everything left. */
	public void open() {
		for (int i = 0; i < 10_000; i++) {
			release();
		}
	}

	Flux<Integer> permits() {
		return permits.asFlux();
	}

}
