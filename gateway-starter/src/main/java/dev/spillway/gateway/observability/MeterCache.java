package dev.spillway.gateway.observability;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Meter;

/**
 * Meters by a key of their name and tag values. Registering a meter sorts and compares its tags: done once per
 * series, not once per request. As bounded as the keys are (every tag value here comes from the configuration).
 */
final class MeterCache<K> {

	private final Map<K, Meter> meters = new ConcurrentHashMap<>();

	@SuppressWarnings("unchecked")
	<M extends Meter> M get(K key, Supplier<M> register) {
		Meter meter = meters.get(key);
		if (meter == null) {
			meter = meters.computeIfAbsent(key, k -> register.get());
		}
		return (M) meter;
	}

}
