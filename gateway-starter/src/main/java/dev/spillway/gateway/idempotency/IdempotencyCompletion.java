package dev.spillway.gateway.idempotency;

import java.time.Duration;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.streaming.UsageCollector;

import org.springframework.http.HttpStatusCode;

/** Keeps the answer of a request that owns an idempotency key, or gives the key up when the answer must not be kept. */
public class IdempotencyCompletion {

	private static final Logger log = LoggerFactory.getLogger(IdempotencyCompletion.class);

	/** Statuses after which a retry may rightly get another answer. */
	private static final Set<Integer> NOT_KEPT = Set.of(408, 409, 429);

	private final IdempotencyStore store;

	private final Duration ttl;

	public IdempotencyCompletion(IdempotencyStore store, Duration ttl) {
		this.store = store;
		this.ttl = ttl;
	}

	public void settle(LlmExchange llm, HttpStatusCode status, SignalType signal) {
		IdempotencyClaim claim = llm.idempotencyClaim();
		if (claim == null) {
			return;
		}
		IdempotencyRecord record = record(llm, claim, status, signal);
		Mono<Boolean> done = record == null ? store.release(claim) : store.complete(claim, record, ttl);
		done.subscribe(settled -> {
			if (!settled) {
				log.debug("Idempotency-Key claim had expired and was not touched: another request may own it now");
			}
		}, failure -> log.warn("Could not settle Idempotency-Key: {}", failure.toString()));
	}

	private static IdempotencyRecord record(LlmExchange llm, IdempotencyClaim claim, HttpStatusCode status,
			SignalType signal) {
		UsageCollector usage = llm.usage();
		if (signal != SignalType.ON_COMPLETE || status == null || status.is5xxServerError()
				|| NOT_KEPT.contains(status.value()) || usage == null || llm.upstreamFailed() || usage.toolCalls()) {
			return null;
		}
		boolean stream = llm.request().stream() && status.is2xxSuccessful();
		if (stream) {
			if (!usage.complete() || !usage.answerKept()) {
				return null;
			}
			return new IdempotencyRecord(IdempotencyRecord.DONE, claim.fingerprint(), status.value(), true, null,
					usage.toEntry(llm.request().model(), false), null);
		}
		if (usage.answerJson() == null) {
			return null;
		}
		return new IdempotencyRecord(IdempotencyRecord.DONE, claim.fingerprint(), status.value(), false,
				usage.answerJson(), null, null);
	}

}
