package dev.spillway.gateway.responses;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.wire.LlmOperation;

import org.springframework.http.HttpMethod;

/**
 * Records which backend stored a new response as soon as its id is read — the {@code response.created} event of a
 * stream, long before its end; a JSON answer as it passes — and holds the rest of the answer until the record is
 * written, so that no follow-up can overtake it; forgets it when the response is deleted. A record
 * that cannot be written (Redis away) is logged: later requests naming that response get 404.
 */
class ResponseAffinityCompletion implements AnswerCompletion {

	private static final Logger log = LoggerFactory.getLogger(ResponseAffinityCompletion.class);

	private final ResponseAffinityStore store;

	private final Duration ttl;

	ResponseAffinityCompletion(ResponseAffinityStore store, Duration ttl) {
		this.store = store;
		this.ttl = ttl;
	}

	@Override
	public void answerIdentified(LlmExchange llm, String answerId) {
		if (llm.request() == null || llm.request().operation() != LlmOperation.RESPONSES || llm.backend() == null
				|| llm.tenant() == null) {
			return;
		}
		Mono<Void> saved = store
			.save(llm.tenant(), answerId, new ResponseAffinityStore.Home(llm.pool(), llm.backend().id()), ttl)
			.then()
			.onErrorResume(failure -> {
				log.warn("Could not record the backend of response {} (request {}): {}", answerId, llm.requestId(),
						failure.toString());
				return Mono.empty();
			})
			.cache();
		saved.subscribe();
		// The client sees the rest of the answer once the record is written (or its write timed out): a follow-up
		// it sends through another instance at once finds the response's home.
		llm.holdEndUntil(saved);
	}

	@Override
	public void bodyEnded(EndedAnswer answer) {
		LlmExchange llm = answer.llm();
		if (llm.request() == null || llm.request().operation() != LlmOperation.STORED_RESPONSE
				|| !HttpMethod.DELETE.equals(answer.exchange().getRequest().getMethod()) || answer.status() == null
				|| !answer.status().is2xxSuccessful()) {
			return;
		}
		String id = LlmOperation.storedResponseId(answer.exchange().getRequest().getPath().value());
		store.remove(llm.tenant(), id).subscribe(removed -> {
		}, failure -> log.debug("Could not forget deleted response {}: {}", id, failure.toString()));
	}

	@Override
	public int getOrder() {
		return BREAKER - 50;
	}

}
