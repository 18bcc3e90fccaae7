package dev.spillway.gateway.responses;

import java.time.Duration;
import java.util.Optional;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.Deadlines;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * Which backend stored a response: {@code <prefix>:resp:{<tenant>}:<response id>} → {@code <pool>/<backend>}, with a
 * TTL. Keyed by tenant, so one tenant never finds (nor reaches) another's response. Every command has the shared
 * state's timeout.
 */
class ResponseAffinityStore {

	/** Where a stored response lives. */
	record Home(String pool, String backend) {
	}

	private final ReactiveStringRedisTemplate redis;

	private final String prefix;

	private final Duration timeout;

	ResponseAffinityStore(ReactiveStringRedisTemplate redis, String keyPrefix, Duration timeout) {
		this.redis = redis;
		this.prefix = keyPrefix + ":resp:";
		this.timeout = timeout;
	}

	private String key(String tenant, String responseId) {
		return prefix + "{" + tenant + "}:" + responseId;
	}

	Mono<Boolean> save(String tenant, String responseId, Home home, Duration ttl) {
		return redis.opsForValue().set(key(tenant, responseId), home.pool() + "/" + home.backend(), ttl).transform(Deadlines.within(timeout));
	}

	/** The response's home, or empty when no record names it for this tenant; an error when Redis cannot tell. */
	Mono<Optional<Home>> find(String tenant, String responseId) {
		return redis.opsForValue().get(key(tenant, responseId)).transform(Deadlines.within(timeout)).map(value -> {
			int slash = value.indexOf('/');
			return slash < 0 ? Optional.<Home>empty()
					: Optional.of(new Home(value.substring(0, slash), value.substring(slash + 1)));
		}).defaultIfEmpty(Optional.empty());
	}

	Mono<Boolean> remove(String tenant, String responseId) {
		return redis.delete(key(tenant, responseId)).transform(Deadlines.within(timeout)).map(count -> count > 0);
	}

}
