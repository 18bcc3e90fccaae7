package dev.spillway.gateway.request;

import reactor.core.publisher.Flux;

import org.springframework.core.io.buffer.DataBuffer;

/**
 * Asks another backend of a request's pool to continue a stream that its backend broke after the client had the
 * first events: the relay gives the request for the rest of the answer, and splices what comes back into the
 * client's stream. Provided by the routing capability, which knows the pool's backends and their state.
 */
public interface StreamContinuation {

	/**
	 * The event stream of another backend of {@code llm}'s pool answering {@code continuation}, as raw bytes; an
	 * error when no other backend can take it or the one chosen did not answer 200 with a stream. The backend whose
	 * stream broke is not asked again, and its circuit breaker counts the failure.
	 */
	Flux<DataBuffer> continueWith(LlmExchange llm, LlmRequest continuation);

	/** No backend could continue the stream; the client's stream ends with its error event, as without continuation. */
	final class NotContinued extends RuntimeException {

		public NotContinued(String reason) {
			super(reason, null, false, false);
		}

	}

}
