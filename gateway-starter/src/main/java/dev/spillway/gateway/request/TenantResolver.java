package dev.spillway.gateway.request;

import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Tells which tenant a request on a Spillway route comes from. Authentication asks every resolver bean in order;
 * the first that recognises the request decides, and a request none recognises is answered 401. The API key
 * resolver is one; the job worker's credential is another, contributed by the jobs.
 */
public interface TenantResolver extends Ordered {

	/**
	 * The id of the request's tenant, or {@code null} when this resolver does not recognise the request. A resolver
	 * may note on {@code llm} what else it learned (e.g. that the request's count was prepaid).
	 *
	 * @param llm the request's context, or {@code null} for a request outside Spillway's routes (such as the job
	 * status route, which authenticates its callers the same way)
	 */
	String resolve(ServerWebExchange exchange, LlmExchange llm);

}
