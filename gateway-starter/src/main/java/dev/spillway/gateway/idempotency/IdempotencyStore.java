package dev.spillway.gateway.idempotency;

import java.time.Duration;
import java.util.Optional;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** Idempotency records in Redis: {@code <prefix>:idem:{<tenant>}:<sha256 of the key>}. */
public class IdempotencyStore {

	private final ReactiveStringRedisTemplate redis;

	private final JsonMapper json;

	private final String prefix;

	private final Duration timeout;

	public IdempotencyStore(ReactiveStringRedisTemplate redis, JsonMapper json, String keyPrefix, Duration timeout) {
		this.redis = redis;
		this.json = json;
		this.prefix = keyPrefix + ":idem:";
		this.timeout = timeout;
	}

	public String key(String tenant, String keyHash) {
		return prefix + "{" + tenant + "}:" + keyHash;
	}

	/** Claims the key for a new request: empty when claimed, else the record already there. */
	public Mono<Optional<IdempotencyRecord>> claim(String key, String fingerprint, Duration inFlight) {
		return redis.opsForValue()
			.setIfAbsent(key, json.writeValueAsString(IdempotencyRecord.pending(fingerprint)), inFlight)
			.timeout(timeout)
			.flatMap(claimed -> claimed ? Mono.just(Optional.<IdempotencyRecord>empty())
					: get(key).map(Optional::of).defaultIfEmpty(Optional.empty()));
	}

	public Mono<IdempotencyRecord> get(String key) {
		return redis.opsForValue().get(key).timeout(timeout).map(text -> json.readValue(text, IdempotencyRecord.class));
	}

	public Mono<Boolean> complete(String key, IdempotencyRecord record, Duration ttl) {
		return redis.opsForValue().set(key, json.writeValueAsString(record), ttl).timeout(timeout);
	}

	public Mono<Long> release(String key) {
		return redis.delete(key).timeout(timeout);
	}

}
