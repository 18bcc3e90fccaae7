package dev.spillway.gateway.limit;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.Deadlines;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * The tokens a limit scope's admitted requests hold as reservations right now, on every instance: a hash in Redis
 * beside the scope's buckets ({@code <prefix>:limit:{scope}:held}, same hash slot) with one field per instance — its
 * held tokens, and when it last changed them — raised at admission and lowered when the request is settled. It tells
 * a refused request whether waiting can help: refunds can only come from what is held. Reading sums the instances
 * whose count changed within {@code staleAfter} and drops the others, so the holds of an instance that died (or a
 * lowering that was lost) stop counting after that time even while other instances keep the hash alive. Redis away:
 * holds are not counted and a refused request does not wait.
 */
final class HeldTokens {

	private static final Logger log = LoggerFactory.getLogger(HeldTokens.class);

	/** KEYS: the hash; ARGV: this instance's field, the change, now (ms), the hash's expiry (ms). */
	private static final RedisScript<Long> ADD = RedisScript.of("""
			local held = redis.call('hincrby', KEYS[1], ARGV[1], ARGV[2])
			if held <= 0 then
			  redis.call('hdel', KEYS[1], ARGV[1], ARGV[1] .. '@')
			else
			  redis.call('hset', KEYS[1], ARGV[1] .. '@', ARGV[3])
			end
			redis.call('pexpire', KEYS[1], ARGV[4])
			return held""", Long.class);

	/** KEYS: the hash; ARGV: the oldest change (ms) still counted. */
	private static final RedisScript<Long> READ = RedisScript.of("""
			local fields = redis.call('hgetall', KEYS[1])
			local total = 0
			for i = 1, #fields, 2 do
			  local name = fields[i]
			  if string.sub(name, -1) ~= '@' then
			    local at = redis.call('hget', KEYS[1], name .. '@')
			    if at and tonumber(at) >= tonumber(ARGV[1]) then
			      total = total + tonumber(fields[i + 1])
			    else
			      redis.call('hdel', KEYS[1], name, name .. '@')
			    end
			  end
			end
			return total""", Long.class);

	private final ReactiveStringRedisTemplate redis;

	private final Duration timeout;

	private final Clock clock;

	private final Duration staleAfter;

	private final String instance = UUID.randomUUID().toString();

	HeldTokens(ReactiveStringRedisTemplate redis, Duration timeout, Clock clock, Duration staleAfter) {
		this.redis = redis;
		this.timeout = timeout;
		this.clock = clock;
		this.staleAfter = staleAfter;
	}

	/** Adds {@code tokens} (negative to release them) to what this instance holds for {@code key}'s scope. */
	void add(String key, long tokens) {
		if (tokens == 0) {
			return;
		}
		long now = clock.millis();
		redis.execute(ADD, List.of(key), List.of(instance, Long.toString(tokens), Long.toString(now),
				Long.toString(staleAfter.toMillis())))
			.next()
			.transform(Deadlines.within(timeout))
			.subscribe(held -> {
			}, failure -> log.debug("Could not count {} held tokens on {}: {}", tokens, key, failure.toString()));
	}

	/** What {@code key}'s scope holds on the instances that changed it lately; 0 when Redis cannot tell. */
	Mono<Long> read(String key) {
		return redis.execute(READ, List.of(key), List.of(Long.toString(clock.millis() - staleAfter.toMillis())))
			.next()
			.transform(Deadlines.within(timeout))
			.onErrorReturn(0L)
			.defaultIfEmpty(0L);
	}

}
