package dev.spillway.gateway.request;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.BackendDefinition;

import org.springframework.web.server.ServerWebExchange;

/**
 * One request on a Spillway route, as every step of its way learns about it: the core facts (id, pool, tenant,
 * parsed request, timings, attempts, the backend of the current attempt, the answer) and typed {@link Slot}s, each
 * written by the one capability that owns its key. Kept in one exchange attribute, so no step re-parses or
 * re-derives what an earlier one knew. Created for routes that lead to a Spillway pool only. A request's steps run
 * one after another, possibly on different threads: fields are volatile and slots a concurrent map.
 */
public final class LlmExchange {

	/** Exchange attribute holding the {@link LlmExchange} of a request on a Spillway route. */
	public static final String ATTRIBUTE = LlmExchange.class.getName();

	private final String requestId;

	private final long startNanos = System.nanoTime();

	private final long startMillis = System.currentTimeMillis();

	private final Map<Slot<?>, Object> slots = new ConcurrentHashMap<>(8);

	private volatile String pool;

	private volatile String tenant;

	private volatile String tier;

	private volatile boolean requestPrepaid;

	private volatile LlmRequest request;

	private volatile BackendDefinition backend;

	private volatile int attempts;

	private volatile Answer answer;

	private volatile AnswerSource answerSource = AnswerSource.BACKEND;

	private volatile boolean upstreamFailed;

	private volatile boolean clientGone;

	private volatile Mono<Void> endHold;

	public LlmExchange(String pool, String requestId) {
		this.pool = pool;
		this.requestId = requestId;
	}

	/** The request's {@link LlmExchange}, or {@code null} on routes Spillway does not serve. */
	public static LlmExchange of(ServerWebExchange exchange) {
		return exchange.getAttribute(ATTRIBUTE);
	}

	/** The request's id: the client's {@code x-request-id} when it sent a usable one, else one made up here. */
	public String requestId() {
		return requestId;
	}

	public long startNanos() {
		return startNanos;
	}

	/** Wall-clock arrival time, comparable with throttle ends shared between instances. */
	public long startMillis() {
		return startMillis;
	}

	public String pool() {
		return pool;
	}

	/** Sends the request to another pool, asking for {@code model} there (or the same model when {@code null}). */
	public void reroute(String pool, String model) {
		this.pool = pool;
		LlmRequest current = request;
		if (model != null && current != null && !model.equals(current.model())) {
			this.request = current.withModel(model);
		}
	}

	/** The authenticated tenant id, or {@code null} before authentication. */
	public String tenant() {
		return tenant;
	}

	/** The tenant's tier, or {@code null} before authentication. */
	public String tier() {
		return tier;
	}

	public void tenant(String tenant, String tier) {
		this.tenant = tenant;
		this.tier = tier;
	}

	/** Whether this request's request count was taken already (a job's call: its submission counted). */
	public boolean requestPrepaid() {
		return requestPrepaid;
	}

	public void markRequestPrepaid() {
		this.requestPrepaid = true;
	}

	/** The parsed request, or {@code null} before the body was read. */
	public LlmRequest request() {
		return request;
	}

	public void request(LlmRequest request) {
		this.request = request;
	}

	/** The backend of the current (or last) attempt, or {@code null} before the first. */
	public BackendDefinition backend() {
		return backend;
	}

	/** Starts an attempt at {@code backend}. */
	public void attempt(BackendDefinition backend) {
		this.backend = backend;
		this.attempts++;
	}

	/** How many backend calls this request has made. */
	public int attempts() {
		return attempts;
	}

	/** What the answer said, as the relay reads it; {@code null} before the response is relayed. */
	public Answer answer() {
		return answer;
	}

	public void answer(Answer answer) {
		this.answer = answer;
	}

	/** Where the answer came from. */
	public AnswerSource answerSource() {
		return answerSource;
	}

	/** Marks an answer that came from somewhere else than a backend. */
	public void answeredBy(AnswerSource source) {
		this.answerSource = source;
	}

	/** Whether the answer's stream failed upstream after it had started. */
	public boolean upstreamFailed() {
		return upstreamFailed;
	}

	public void markUpstreamFailed() {
		this.upstreamFailed = true;
	}

	/**
	 * Whether the client closed its connection before the whole answer was written to it, though the write ended
	 * as if complete (Reactor Netty completes a send when its connection closes).
	 */
	public boolean clientGone() {
		return clientGone;
	}

	public void markClientGone() {
		this.clientGone = true;
	}

	/**
	 * Makes the answer's remaining bytes wait for {@code work} once its usage is known: the tenant's charge is
	 * settled before the client sees the end, so its next request finds the bucket reconciled. The caller bounds
	 * the wait ({@code work} completes, empty, when its own timeout passes); work added later waits for both.
	 */
	public synchronized void holdEndUntil(Mono<Void> work) {
		endHold = endHold == null ? work : endHold.and(work);
	}

	/** What the answer's remaining bytes wait for, or {@code null} when nothing holds them. */
	public Mono<Void> endHold() {
		return endHold;
	}

	/** What the owner of {@code slot} put there, or {@code null}. */
	@SuppressWarnings("unchecked")
	public <T> T get(Slot<T> slot) {
		return (T) slots.get(slot);
	}

	public <T> void put(Slot<T> slot, T value) {
		if (value == null) {
			slots.remove(slot);
		}
		else {
			slots.put(slot, value);
		}
	}

}
