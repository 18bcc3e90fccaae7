package dev.spillway.gateway.cache;

import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.LlmExchange;

/** Stores a cache miss's answer when it is complete, successful, plain text, kept whole and not filtered. */
class CacheCompletion implements AnswerCompletion {

	private final ResponseCache cache;

	CacheCompletion(ResponseCache cache) {
		this.cache = cache;
	}

	@Override
	public void bodyEnded(EndedAnswer ended) {
		LlmExchange llm = ended.llm();
		PendingStore pending = llm.get(CacheFilter.PENDING);
		Answer answer = llm.answer();
		if (pending == null || answer == null || !ended.completedCleanly() || ended.status() == null
				|| ended.status().value() != 200 || !answer.complete() || !answer.kept() || answer.toolCalls()
				|| "content_filter".equals(answer.finishReason())) {
			return;
		}
		cache.store(pending.scope(), pending.keys(), answer.toStored(llm.request().model(), true), pending.ttl(),
				pending.vector());
	}

	@Override
	public int getOrder() {
		return CACHE;
	}

}
