package dev.spillway.gateway.request;

import org.springframework.web.server.ServerWebExchange;

/**
 * Everything one request learns on its way through Spillway, kept in one exchange attribute so no filter
 * re-parses or re-derives what an earlier one knew. Created for routes that lead to a Spillway pool only.
 */
public final class LlmExchange {

	/** Exchange attribute holding the {@link LlmExchange} of a request on a Spillway route. */
	public static final String ATTRIBUTE = LlmExchange.class.getName();

	private final String pool;

	private final long startNanos = System.nanoTime();

	private volatile String tenant;

	private volatile LlmRequest request;

	private volatile String backend;

	private volatile long firstByteNanos;

	public LlmExchange(String pool) {
		this.pool = pool;
	}

	/** The request's {@link LlmExchange}, or {@code null} on routes Spillway does not serve. */
	public static LlmExchange of(ServerWebExchange exchange) {
		return exchange.getAttribute(ATTRIBUTE);
	}

	public String pool() {
		return pool;
	}

	public long startNanos() {
		return startNanos;
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
