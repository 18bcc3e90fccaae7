package dev.spillway.gateway.limit;

import java.time.Duration;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * The tokens a limit scope's admitted requests hold as reservations right now, on every instance: a counter in
 * Redis beside the scope's buckets ({@code <prefix>:limit:{scope}:held}, same hash slot), raised at admission and
 * lowered when the request is settled. It tells a refused request whether waiting can help: refunds can only come
 * from what is held. Each change renews the counter's expiry, so the holds of an instance that died fade out
 * (until then, requests wait for refunds that do not come, at most the configured wait, then are refused as before).
 * Redis away: holds are not counted and a refused request does not wait.
 */
final class HeldTokens {

	private static final Logger log = LoggerFactory.getLogger(HeldTokens.class);

	private static final RedisScript<Long> ADD = RedisScript.of("""
			local held = redis.call('incrby', KEYS[1], ARGV[1])
			if held <= 0 then redis.call('del', KEYS[1]) else redis.call('pexpire', KEYS[1], ARGV[2]) end
			return held""", Long.class);

	private final ReactiveStringRedisTemplate redis;

	private final Duration timeout;

	private final String expiryMillis;

	HeldTokens(ReactiveStringRedisTemplate redis, Duration timeout, Duration expiry) {
		this.redis = redis;
		this.timeout = timeout;
		this.expiryMillis = Long.toString(expiry.toMillis());
	}

	/** Adds {@code tokens} (negative to release them) to what {@code key}'s scope holds, in the background. */
	void add(String key, long tokens) {
		if (tokens == 0) {
			return;
		}
		redis.execute(ADD, List.of(key), List.of(Long.toString(tokens), expiryMillis))
			.next()
			.timeout(timeout)
			.subscribe(held -> {
			}, failure -> log.debug("Could not count {} held tokens on {}: {}", tokens, key, failure.toString()));
	}

	/** What {@code key}'s scope holds; 0 when nothing, or when Redis cannot tell. */
	Mono<Long> read(String key) {
		return redis.opsForValue()
			.get(key)
			.map(Long::parseLong)
			.timeout(timeout)
			.onErrorReturn(0L)
			.defaultIfEmpty(0L);
	}

}
