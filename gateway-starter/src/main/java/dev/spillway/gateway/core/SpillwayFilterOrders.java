package dev.spillway.gateway.core;

import org.springframework.cloud.gateway.filter.NettyWriteResponseFilter;
import org.springframework.cloud.gateway.filter.ReactiveLoadBalancerClientFilter;

/**
 * The order of every Spillway filter, in one place so the whole chain reads at a glance. Spring Cloud Gateway's
 * own landmarks: {@link NettyWriteResponseFilter} writes the body at -1 after the rest of the chain has completed,
 * so anything that must see the body end is ordered before it; the load balancer picks a backend at 10150.
 */
public final class SpillwayFilterOrders {

	/** Creates the request's context; everything after it may rely on it. */
	public static final int ENTRY = -600;

	/** Opens the request's observation (its span), closed when the response has ended. */
	public static final int OBSERVATION = -590;

	/** Decorates the response: relays streams event by event and settles the request when the body ends. */
	public static final int RESPONSE = -500;

	/** Authenticates the tenant (401 here and nowhere else). */
	public static final int TENANT_AUTHENTICATION = -400;

	/** Answers {@code GET .../models} (and {@code .../models/{id}}) from the pools' configuration. */
	public static final int MODEL_LIST = -350;

	/** Reads, limits (413), parses and validates (400/404/415) the body once. */
	public static final int REQUEST_BODY = -300;

	/** Accepts {@code Prefer: respond-async} requests as jobs (202), after validation, before any limit. */
	public static final int JOBS = -290;

	/** Applies model routing rules: may change the pool and model. */
	public static final int MODEL_ROUTING = -275;

	/** Sends a request that refers to a stored response to the backend that stored it (404 / 503 here). */
	public static final int RESPONSE_AFFINITY = -260;

	/** Admits the request against its tenant's token and request limits (429 here). */
	public static final int LIMIT = -250;

	/** Replays, or waits for, an earlier request with the same Idempotency-Key (422 for another request). */
	public static final int IDEMPOTENCY = -225;

	/** Serves answers from the cache (exact, then semantic) and marks misses to be stored. */
	public static final int CACHE = -200;

	/**
	 * Chooses the backend of each attempt and fails over before the first byte reaches the client. Before Spring
	 * Cloud Gateway's {@code RouteToRequestUrlFilter} (10000), so every attempt is load balanced afresh.
	 */
	public static final int FAILOVER = 9000;

	/** Rewrites the request for the chosen backend: URL, credentials, body. Right after the load balancer. */
	public static final int BACKEND_REQUEST = ReactiveLoadBalancerClientFilter.LOAD_BALANCER_CLIENT_FILTER_ORDER + 1;

	static {
		if (RESPONSE >= NettyWriteResponseFilter.WRITE_RESPONSE_FILTER_ORDER) {
			throw new IllegalStateException("The response filter must wrap NettyWriteResponseFilter");
		}
	}

	private SpillwayFilterOrders() {
	}

}
