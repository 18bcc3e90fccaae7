package dev.spillway.gateway.routing;

import java.time.Clock;
import java.util.HashSet;
import java.util.Set;

import dev.spillway.gateway.core.PoolDefinition;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.routing.BackendPlanner.Plan;
import dev.spillway.gateway.routing.api.BackendPin;

/**
 * The attempts of one request: what it may still do (attempts, deadline, spill budget), which backends it must not
 * use again, which fallbacks it used.
 */
final class Attempts {

	final LlmExchange llm;

	final Set<BackendInstance> excluded = new HashSet<>(4);

	private final Set<String> fallbacksUsed = new HashSet<>(2);

	private final Set<BackendInstance> throttledBefore = new HashSet<>(4);

	private final PoolRegistry pools;

	private final Clock clock;

	private final int maxAttempts;

	private final long deadlineMillis;

	private final Long headerBudget;

	private BackendSelector selector;

	/** The backend the request must reach, or {@code null}. */
	private final String pinned;

	/** Whether the request asks for background mode, which only some backends serve. */
	private final boolean background;

	private long waitUntilMillis;

	Attempts(LlmExchange llm, PoolRegistry pools, Clock clock, String maxWaitHeader) {
		this.llm = llm;
		this.pools = pools;
		this.clock = clock;
		PoolDefinition pool = pools.pool(llm.pool());
		this.maxAttempts = pool.maxAttempts();
		this.deadlineMillis = llm.startMillis() + pool.deadline().toMillis();
		this.headerBudget = budgetOf(maxWaitHeader);
		this.pinned = llm.get(BackendPin.BACKEND);
		this.background = llm.request().body().path("background").asBoolean(false);
		use(llm.pool(), llm.startMillis());
	}

	private static Long budgetOf(String maxWaitHeader) {
		if (maxWaitHeader == null) {
			return null;
		}
		try {
			return Math.max(0, Long.parseLong(maxWaitHeader.trim()));
		}
		catch (NumberFormatException ex) {
			// A header that cannot lower the budget leaves it as configured.
			return null;
		}
	}

	private void use(String poolName, long fromMillis) {
		PoolDefinition pool = pools.pool(poolName);
		this.selector = pools.selector(poolName);
		long budget = pool.maxWait().toMillis();
		if (headerBudget != null) {
			budget = Math.min(budget, headerBudget);
		}
		this.waitUntilMillis = Math.min(fromMillis + budget, deadlineMillis);
		for (BackendInstance backend : selector.backends()) {
			if (pinned != null && !pinned.equals(backend.backend().id()) || background && !backend.backend().background()) {
				excluded.add(backend);
			}
		}
	}

	/** Moves the request to a fallback pool, once per fallback; returns whether it did. */
	boolean fallBackTo(PoolDefinition.Target fallback) {
		if (fallback == null || pinned != null || !fallbacksUsed.add(fallback.pool() + "/" + fallback.model())) {
			return false;
		}
		// A fallback without a model keeps the client's name: only where the target pool serves it.
		String model = fallback.model() != null ? fallback.model() : llm.request().model();
		if (!pools.pools().accepts(fallback.pool(), model)) {
			return false;
		}
		llm.reroute(fallback.pool(), fallback.model());
		excluded.clear();
		use(fallback.pool(), clock.millis());
		return true;
	}

	PoolDefinition pool() {
		return pools.pool(llm.pool());
	}

	/**
	 * A backend answered this request 429: it may be tried once more (when its wait fits the spill budget), a second
	 * 429 takes it out for this request, whatever its hint says.
	 */
	void throttledOnce(BackendInstance backend) {
		if (!throttledBefore.add(backend)) {
			excluded.add(backend);
		}
	}

	/**
	 * When no backend of the pool can ever take this request because of its size: the largest request any of them
	 * takes; else -1.
	 */
	long largestKnownRequest() {
		long now = clock.millis();
		long estimate = llm.request().estimatedTokens();
		long largest = -1;
		for (BackendInstance backend : selector.backends()) {
			long max = backend.state().maxRequestTokens(now);
			if (max < 0 || estimate <= max) {
				return -1;
			}
			largest = Math.max(largest, max);
		}
		return largest;
	}

	Plan plan() {
		return BackendPlanner.plan(selector, clock.millis(), waitUntilMillis, llm.request().estimatedTokens(), excluded);
	}

	boolean mayRetry() {
		return llm.attempts() < maxAttempts && clock.millis() < deadlineMillis;
	}

}
