package dev.spillway.gateway.cache.api;

import java.util.Map;

/** What the cache publishes about its semantic hits, for the actuator endpoint. */
public interface CacheReport {

	/**
	 * Pool → the self-check's view of it on this instance: semantic candidates, hits served and their rate,
	 * comparisons, the measured disagreement rate, the effective threshold, and the same per band of similarity.
	 * Empty when the self-check is off.
	 */
	Map<String, Map<String, Object>> pools();

}
