package dev.spillway.gateway.routing;

import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;

/**
 * The circuit breaker of the backend whose answer went to the client learns the outcome once the body has ended: a
 * stream is a success only once it completed; a client that went away gives the permission back.
 */
class BreakerCompletion implements AnswerCompletion {

	@Override
	public void bodyEnded(EndedAnswer answer) {
		BackendCall call = answer.llm().get(FailoverFilter.SERVING_CALL);
		if (call == null) {
			return;
		}
		if (answer.llm().upstreamFailed() || answer.end() == EndedAnswer.End.FAILED) {
			call.failed(new IllegalStateException("the answer failed before it was complete"));
		}
		else if (answer.end() == EndedAnswer.End.CANCELLED) {
			call.released();
		}
		else {
			call.succeeded();
		}
	}

	@Override
	public int getOrder() {
		return BREAKER;
	}

}
