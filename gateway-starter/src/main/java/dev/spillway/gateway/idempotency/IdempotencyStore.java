package dev.spillway.gateway.idempotency;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.core.Deadlines;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Idempotency records in Redis: {@code <prefix>:idem:{<tenant>}:<sha256 of the key>}. Completing or giving up a
 * key is a compare-and-set on the exact in-flight record the claimant wrote, and is announced on
 * {@code <prefix>:idem-settled} (the message is the record's key) so waiting duplicates wake at once.
 */
class IdempotencyStore {

	/** Replaces the claimant's own in-flight record with the answer, and announces it. */
	private static final RedisScript<Long> COMPLETE = RedisScript.of("""
			if redis.call('GET', KEYS[1]) ~= ARGV[1] then
			  return 0
			end
			redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
			redis.call('PUBLISH', ARGV[4], KEYS[1])
			return 1
			""", Long.class);

	/** Removes the claimant's own in-flight record, and announces it. */
	private static final RedisScript<Long> RELEASE = RedisScript.of("""
			if redis.call('GET', KEYS[1]) ~= ARGV[1] then
			  return 0
			end
			redis.call('DEL', KEYS[1])
			redis.call('PUBLISH', ARGV[2], KEYS[1])
			return 1
			""", Long.class);

	private final ReactiveStringRedisTemplate redis;

	private final JsonMapper json;

	private final String prefix;

	private final String channel;

	private final Duration timeout;

	public IdempotencyStore(ReactiveStringRedisTemplate redis, JsonMapper json, String keyPrefix, Duration timeout) {
		this.redis = redis;
		this.json = json;
		this.prefix = keyPrefix + ":idem:";
		this.channel = keyPrefix + ":idem-settled";
		this.timeout = timeout;
	}

	public String key(String tenant, String keyHash) {
		return prefix + "{" + tenant + "}:" + keyHash;
	}

	/** The channel settled keys are announced on. */
	public String channel() {
		return channel;
	}

	/** A new in-flight record for {@code fingerprint}, unique to one claim. */
	public String pendingValue(String fingerprint) {
		String token = new UUID(ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextLong()).toString();
		return json.writeValueAsString(IdempotencyRecord.pending(fingerprint, token));
	}

	/** Claims the key for a new request: empty when claimed, else the record already there. */
	public Mono<Optional<IdempotencyRecord>> claim(String key, String pendingValue, Duration inFlight) {
		return redis.opsForValue()
			.setIfAbsent(key, pendingValue, inFlight)
			.transform(Deadlines.within(timeout))
			.flatMap(claimed -> claimed ? Mono.just(Optional.<IdempotencyRecord>empty())
					: get(key).map(Optional::of).defaultIfEmpty(Optional.empty()));
	}

	public Mono<IdempotencyRecord> get(String key) {
		return redis.opsForValue().get(key).transform(Deadlines.within(timeout)).map(text -> json.readValue(text, IdempotencyRecord.class));
	}

	/** Keeps the answer, if the key is still the claimant's; emits whether it was. */
	public Mono<Boolean> complete(IdempotencyClaim claim, IdempotencyRecord record, Duration ttl) {
		return redis.execute(COMPLETE, List.of(claim.redisKey()), List.of(claim.pendingValue(),
				json.writeValueAsString(record), Long.toString(ttl.toMillis()), channel))
			.next()
			.transform(Deadlines.within(timeout))
			.map(done -> done == 1L);
	}

	/** Gives the key up, if it is still the claimant's; emits whether it was. */
	public Mono<Boolean> release(IdempotencyClaim claim) {
		return redis.execute(RELEASE, List.of(claim.redisKey()), List.of(claim.pendingValue(), channel))
			.next()
			.transform(Deadlines.within(timeout))
			.map(done -> done == 1L);
	}

}
