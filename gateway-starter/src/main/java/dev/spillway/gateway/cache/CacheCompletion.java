package dev.spillway.gateway.cache;

import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.wire.StoredAnswer;

/**
 * Stores a cache miss's answer when it is complete, successful, plain text, kept whole and not filtered, and hands
 * it to the self-check when the request's semantic candidate was checked instead of served.
 */
class CacheCompletion implements AnswerCompletion {

	private final ResponseCache cache;

	CacheCompletion(ResponseCache cache) {
		this.cache = cache;
	}

	@Override
	public void bodyEnded(EndedAnswer ended) {
		LlmExchange llm = ended.llm();
		PendingStore pending = llm.get(CacheFilter.PENDING);
		PendingCheck check = llm.get(CacheFilter.CHECK);
		Answer answer = llm.answer();
		if (pending == null && check == null || answer == null || !ended.completedCleanly() || ended.status() == null
				|| ended.status().value() != 200
				|| !answer.complete() || !answer.kept() || answer.toolCalls()
				|| "content_filter".equals(answer.finishReason())) {
			return;
		}
		StoredAnswer stored = answer.toStored(llm.request().model(), true);
		if (pending != null) {
			cache.store(pending.scope(), pending.keys(), stored, pending.ttl(), pending.vector());
		}
		if (check != null && cache.selfCheck() != null) {
			cache.selfCheck().compare(check.pool(), check.similarity(), check.deterministic(), stored.content(),
					check.candidate().content());
		}
	}

	@Override
	public int getOrder() {
		return CACHE;
	}

}
