package dev.spillway.gateway.limit.api;

import java.util.Map;
import java.util.Set;

import reactor.core.publisher.Mono;

/** What the limits publish for operators' views and metrics. */
public interface TenantLimitsReport {

	/**
	 * A tenant's tier and effective limits, and what is left of them right now (read from the shared buckets); empty
	 * for an unknown tenant.
	 */
	Mono<Map<String, Object>> limits(String tenant);

	/** The models some tier or tenant has limits of their own for (model names worth a metric tag). */
	Set<String> limitedModels();

}
