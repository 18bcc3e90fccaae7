package dev.spillway.gateway.request;

import dev.spillway.gateway.cache.PendingStore;
import dev.spillway.gateway.cache.ResponseCache.Lookup.Outcome;
import dev.spillway.gateway.idempotency.IdempotencyClaim;
import dev.spillway.gateway.limit.Admission;
import dev.spillway.gateway.routing.BackendCall;
import dev.spillway.gateway.streaming.UsageCollector;
import dev.spillway.gateway.routing.BackendInstance;

import org.springframework.web.server.ServerWebExchange;

/**
 * Everything one request learns on its way through Spillway, kept in one exchange attribute so no filter
 * re-parses or re-derives what an earlier one knew. Created for routes that lead to a Spillway pool only.
 */
public final class LlmExchange {

	/** Exchange attribute holding the {@link LlmExchange} of a request on a Spillway route. */
	public static final String ATTRIBUTE = LlmExchange.class.getName();

	private volatile String pool;

	private final long startNanos = System.nanoTime();

	private final long startMillis = System.currentTimeMillis();

	private volatile BackendInstance plannedBackend;

	private volatile BackendCall backendCall;

	private volatile boolean upstreamFailed;

	private volatile int attempts;

	private volatile Admission admission;

	private volatile UsageCollector usage;

	private volatile Outcome cacheOutcome;

	private volatile PendingStore pendingStore;

	private volatile IdempotencyClaim idempotencyClaim;

	private volatile boolean replayed;

	private volatile boolean acceptedAsJob;

	private volatile String jobId;

	private volatile String tenant;

	private volatile LlmRequest request;

	private volatile String backend;

	private volatile long firstByteNanos;

	private final String requestId;

	public LlmExchange(String pool, String requestId) {
		this.pool = pool;
		this.requestId = requestId;
	}

	/** The request's id: the client's {@code x-request-id} when it sent a usable one, else one made up here. */
	public String requestId() {
		return requestId;
	}

	/** The request's {@link LlmExchange}, or {@code null} on routes Spillway does not serve. */
	public static LlmExchange of(ServerWebExchange exchange) {
		return exchange.getAttribute(ATTRIBUTE);
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

	public long startNanos() {
		return startNanos;
	}

	/** Wall-clock arrival time, comparable with throttle ends shared between instances. */
	public long startMillis() {
		return startMillis;
	}

	/** The backend the failover filter chose for the current attempt; the load balancer returns it. */
	public BackendInstance plannedBackend() {
		return plannedBackend;
	}

	public void plannedBackend(BackendInstance backend) {
		this.plannedBackend = backend;
		this.attempts++;
	}

	/** How many backend calls this request has made. */
	public int attempts() {
		return attempts;
	}

	/** The call whose answer goes to the client, settled when the body has ended; or {@code null}. */
	public BackendCall backendCall() {
		return backendCall;
	}

	public void backendCall(BackendCall call) {
		this.backendCall = call;
	}

	/** The request's admission against its tenant's limits, or {@code null} when none applied. */
	public Admission admission() {
		return admission;
	}

	public void admission(Admission admission) {
		this.admission = admission;
	}

	/** What the answer said (or streamed) about tokens used; {@code null} before the response filter ran. */
	public UsageCollector usage() {
		return usage;
	}

	public void usage(UsageCollector usage) {
		this.usage = usage;
	}

	/** How the cache served the request, or {@code null} when the cache did not look at it. */
	public Outcome cacheOutcome() {
		return cacheOutcome;
	}

	public void cacheOutcome(Outcome outcome) {
		this.cacheOutcome = outcome;
	}

	/** Where to store the answer once complete (a cache miss), or {@code null}. */
	public PendingStore pendingStore() {
		return pendingStore;
	}

	public void pendingStore(PendingStore pending) {
		this.pendingStore = pending;
	}

	/** The idempotency key this request owns (its answer will be kept for replays), or {@code null}. */
	public IdempotencyClaim idempotencyClaim() {
		return idempotencyClaim;
	}

	public void idempotencyClaim(IdempotencyClaim claim) {
		this.idempotencyClaim = claim;
	}

	/** Marks an answer replayed for an idempotency key: it costs no tokens. */
	public void markReplayed() {
		this.replayed = true;
	}

	/** Marks a request answered with 202 and queued as a job: its tokens are charged when the job runs. */
	public void markAcceptedAsJob() {
		this.acceptedAsJob = true;
	}

	/** Whether the request was queued as a job rather than answered (nothing was used yet). */
	public boolean acceptedAsJob() {
		return acceptedAsJob;
	}

	/** Marks a job worker's call for the job {@code id}: its request was counted when the job was submitted. */
	public void jobExecution(String id) {
		this.jobId = id;
	}

	/** The id of the job this call runs, or {@code null} for a client's own request. */
	public String jobId() {
		return jobId;
	}

	/** Whether the answer came from the cache or an idempotency replay, not from a backend. */
	public boolean servedFromCache() {
		return replayed || cacheOutcome == Outcome.HIT || cacheOutcome == Outcome.SEMANTIC_HIT;
	}

	/** Whether the answer's stream failed upstream after it had started. */
	public boolean upstreamFailed() {
		return upstreamFailed;
	}

	public void markUpstreamFailed() {
		this.upstreamFailed = true;
	}

	/** The authenticated tenant id, or {@code null} before authentication. */
	public String tenant() {
		return tenant;
	}

	public void tenant(String tenant) {
		this.tenant = tenant;
	}

	public LlmRequest request() {
		return request;
	}

	public void request(LlmRequest request) {
		this.request = request;
	}

	/** Id of the backend that was last sent the request, or {@code null}. */
	public String backend() {
		return backend;
	}

	public void backend(String backend) {
		this.backend = backend;
	}

	/** When the first byte of the answer went to the client, or 0 if none has. */
	public long firstByteNanos() {
		return firstByteNanos;
	}

	public void markFirstByte() {
		if (firstByteNanos == 0) {
			firstByteNanos = System.nanoTime();
		}
	}

}
