package dev.spillway.gateway.idempotency;

import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.LlmExchange;

import org.springframework.http.HttpStatusCode;

/** Keeps the answer of a request that owns an idempotency key, or gives the key up when the answer must not be kept. */
class IdempotencyCompletion implements AnswerCompletion {

	private static final Logger log = LoggerFactory.getLogger(IdempotencyCompletion.class);

	/** Statuses after which a retry may rightly get another answer. */
	private static final Set<Integer> NOT_KEPT = Set.of(408, 409, 429);

	private final IdempotencyStore store;

	IdempotencyCompletion(IdempotencyStore store) {
		this.store = store;
	}

	@Override
	public void bodyEnded(EndedAnswer answer) {
		LlmExchange llm = answer.llm();
		IdempotencyClaim claim = llm.get(IdempotencyFilter.CLAIM);
		if (claim == null) {
			return;
		}
		IdempotencyRecord record = record(llm, claim, answer);
		Mono<Boolean> done = record == null ? store.release(claim) : store.complete(claim, record, claim.ttl());
		done.subscribe(settled -> {
			if (!settled) {
				log.debug("Idempotency-Key claim had expired and was not touched: another request may own it now");
			}
		}, failure -> log.warn("Could not settle Idempotency-Key: {}", failure.toString()));
	}

	private static IdempotencyRecord record(LlmExchange llm, IdempotencyClaim claim, EndedAnswer ended) {
		HttpStatusCode status = ended.status();
		Answer usage = llm.answer();
		if (!ended.completedCleanly() || status == null || status.is5xxServerError()
				|| NOT_KEPT.contains(status.value()) || usage == null || usage.toolCalls()) {
			return null;
		}
		boolean stream = llm.request().stream() && status.is2xxSuccessful();
		if (stream) {
			if (!usage.complete() || !usage.kept() || !llm.request().operation().format().replaysStreams()) {
				return null;
			}
			return new IdempotencyRecord(IdempotencyRecord.DONE, claim.fingerprint(), status.value(), true, null,
					usage.toStored(llm.request().model(), false), null);
		}
		if (usage.json() == null) {
			return null;
		}
		return new IdempotencyRecord(IdempotencyRecord.DONE, claim.fingerprint(), status.value(), false,
				usage.json(), null, null);
	}

	@Override
	public int getOrder() {
		return IDEMPOTENCY;
	}

}
