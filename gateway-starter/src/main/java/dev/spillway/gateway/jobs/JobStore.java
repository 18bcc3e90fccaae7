package dev.spillway.gateway.jobs;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import reactor.core.publisher.Mono;

import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * Jobs in Redis: each job is a hash {@code <prefix>:job:{<tenant>}:<id>} (state, request, result) expiring after the
 * result TTL; the queue is the stream {@code <prefix>:jobs} read by the consumer group {@value #GROUP} that every
 * instance joins; {@code <prefix>:jobs:open:{<tenant>}} counts a tenant's unfinished jobs.
 */
public class JobStore {

	public static final String GROUP = "spillway";

	private final ReactiveStringRedisTemplate redis;

	private final String prefix;

	private final Duration ttl;

	public JobStore(ReactiveStringRedisTemplate redis, String keyPrefix, Duration ttl) {
		this.redis = redis;
		this.prefix = keyPrefix;
		this.ttl = ttl;
	}

	public ReactiveStringRedisTemplate redis() {
		return redis;
	}

	public String queue() {
		return prefix + ":jobs";
	}

	public String jobKey(String tenant, String id) {
		return prefix + ":job:{" + tenant + "}:" + id;
	}

	private String openKey(String tenant) {
		return prefix + ":jobs:open:{" + tenant + "}";
	}

	/** Counts a new unfinished job of the tenant; empty when the tenant is at its limit (nothing counted). */
	public Mono<Long> reserveSlot(String tenant, int max) {
		return redis.opsForValue().increment(openKey(tenant)).flatMap(open -> open <= max ? Mono.just(open)
				: redis.opsForValue().decrement(openKey(tenant)).then(Mono.empty()));
	}

	public Mono<Long> releaseSlot(String tenant) {
		return redis.opsForValue().decrement(openKey(tenant));
	}

	public Mono<RecordId> enqueue(String tenant, String id, Map<String, String> fields) {
		String key = jobKey(tenant, id);
		Map<String, String> message = new LinkedHashMap<>();
		message.put("tenant", tenant);
		message.put("id", id);
		return redis.opsForHash()
			.putAll(key, fields)
			.then(redis.expire(key, ttl))
			.then(redis.opsForStream().add(MapRecord.create(queue(), message)));
	}

	public Mono<Map<String, String>> get(String tenant, String id) {
		return redis.<String, String>opsForHash()
			.entries(jobKey(tenant, id))
			.collectMap(Map.Entry::getKey, Map.Entry::getValue)
			.filter(fields -> !fields.isEmpty());
	}

	public Mono<Boolean> update(String tenant, String id, Map<String, String> fields) {
		return redis.opsForHash().putAll(jobKey(tenant, id), fields);
	}

}
