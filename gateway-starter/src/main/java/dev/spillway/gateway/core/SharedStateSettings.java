package dev.spillway.gateway.core;

import java.time.Duration;

/**
 * How every capability that shares state reaches Redis.
 *
 * @param keyPrefix the prefix of every Redis key and channel
 * @param commandTimeout the longest a Redis command may take before Spillway goes on without it
 * @param resyncInterval after an outage, how often shared state is re-shared and reloaded
 */
public record SharedStateSettings(String keyPrefix, Duration commandTimeout, Duration resyncInterval) {

	static SharedStateSettings of(SpillwayProperties.SharedState properties) {
		return new SharedStateSettings(properties.getKeyPrefix(), properties.getCommandTimeout(),
				properties.getResyncInterval());
	}

}
