package dev.spillway.gateway.routing.api;

import java.util.Map;

/** What routing publishes about the pools as this instance sees them, for health and the actuator endpoint. */
public interface PoolReport {

	/** Pool → backend → one-line state, e.g. {@code THROTTLED until 2026-11-21T10:00:03Z (rate_limited)}. */
	Map<String, Map<String, String>> summary();

	/** Pool → backend → every detail this instance holds. */
	Map<String, Map<String, Map<String, Object>>> details();

	/** Whether throttle announcements from other instances are being received. */
	boolean sharedStateConnected();

}
