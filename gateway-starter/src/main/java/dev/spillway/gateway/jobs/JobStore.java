package dev.spillway.gateway.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import reactor.core.publisher.Mono;

import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Jobs in Redis. Each job is a hash {@code <prefix>:job:{<tenant>}:<id>} (state, request, result) expiring after the
 * result TTL; the queue is the stream {@code <prefix>:jobs} read by the consumer group {@value #GROUP} that every
 * instance joins. A tenant's bookkeeping shares the tenant's hash slot: {@code jobs:open:{<tenant>}} holds its
 * unfinished jobs and {@code jobs:kept:{<tenant>}} all its kept ones, each scored by when the job's record expires,
 * and {@code jobs:bytes:{<tenant>}} what each kept job stores (request plus result) and their total.
 * <p>
 * The counts are derived, not counted: a job that is never finished (its instance and Redis failed together) or
 * whose record expired leaves the sets when its score passes, so nothing leaks. Checking the caps and writing the
 * job is one script, so two submissions cannot both take the last place. Every command has a timeout.
 */
class JobStore {

	public static final String GROUP = "spillway";

	/** Why a submission was not stored. */
	public enum Submission {

		ACCEPTED, TOO_MANY_OPEN, STORAGE_FULL

	}

	/** How a finished job's result was kept. */
	public enum Finish {

		KEPT, STORAGE_FULL, GONE

	}

	private static final String TOTAL = "#total";

	private static final RedisScript<Long> SUBMIT = RedisScript.of("""
			local now, expireAt, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
			local maxOpen, maxBytes, size, id = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
			local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1000)
			for _, old in ipairs(expired) do
			  local kept = tonumber(redis.call('HGET', KEYS[4], old) or '0')
			  redis.call('HDEL', KEYS[4], old)
			  redis.call('HINCRBY', KEYS[4], '#total', -kept)
			  redis.call('ZREM', KEYS[3], old)
			end
			redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
			if redis.call('ZCARD', KEYS[2]) >= maxOpen then return 1 end
			if tonumber(redis.call('HGET', KEYS[4], '#total') or '0') + size > maxBytes then return 2 end
			local fields = {}
			for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
			redis.call('HSET', KEYS[1], unpack(fields))
			redis.call('PEXPIRE', KEYS[1], ttl)
			redis.call('ZADD', KEYS[2], expireAt, id)
			redis.call('ZADD', KEYS[3], expireAt, id)
			redis.call('HSET', KEYS[4], id, size)
			redis.call('HINCRBY', KEYS[4], '#total', size)
			for k = 2, 4 do redis.call('PEXPIRE', KEYS[k], ttl) end
			return 0
			""", Long.class);

	private static final RedisScript<Long> FINISH = RedisScript.of("""
			local id, size, maxBytes = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
			redis.call('ZREM', KEYS[2], id)
			if redis.call('EXISTS', KEYS[1]) == 0 then return 2 end
			-- only a job the tenant's sets still track counts against its bytes (never recreate them without a TTL)
			local tracked = redis.call('ZSCORE', KEYS[3], id)
			if tracked and size > 0 and tonumber(redis.call('HGET', KEYS[4], '#total') or '0') + size > maxBytes then
			  return 1
			end
			local fields = {}
			for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
			redis.call('HSET', KEYS[1], unpack(fields))
			if tracked and size > 0 then
			  redis.call('HINCRBY', KEYS[4], id, size)
			  redis.call('HINCRBY', KEYS[4], '#total', size)
			end
			return 0
			""", Long.class);

	private static final RedisScript<Long> UPDATE_IF_PRESENT = RedisScript.of("""
			if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
			redis.call('HSET', KEYS[1], unpack(ARGV))
			return 1
			""", Long.class);

	/** A stale pending job: XAUTOCLAIM one entry, flattened to {next cursor, id, field, value, ...}. */
	@SuppressWarnings("rawtypes")
	private static final RedisScript<List> RECLAIM = RedisScript.of("""
			local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', 1)
			local out = { reply[1] }
			for _, entry in ipairs(reply[2]) do
			  if type(entry) == 'table' then
			    out[2] = entry[1]
			    for _, value in ipairs(entry[2]) do out[#out + 1] = value end
			    return out
			  end
			end
			return out
			""", List.class);

	private final ReactiveStringRedisTemplate redis;

	private final String prefix;

	private final Duration ttl;

	private final Duration timeout;

	private final Clock clock;

	public JobStore(ReactiveStringRedisTemplate redis, String keyPrefix, Duration ttl, Duration timeout, Clock clock) {
		this.redis = redis;
		this.prefix = keyPrefix;
		this.ttl = ttl;
		this.timeout = timeout;
		this.clock = clock;
	}

	public ReactiveStringRedisTemplate redis() {
		return redis;
	}

	/** The longest time one Redis command may take. */
	public Duration timeout() {
		return timeout;
	}

	public String queue() {
		return prefix + ":jobs";
	}

	public String jobKey(String tenant, String id) {
		return prefix + ":job:{" + tenant + "}:" + id;
	}

	private List<String> tenantKeys(String tenant, String id) {
		return List.of(jobKey(tenant, id), prefix + ":jobs:open:{" + tenant + "}", prefix + ":jobs:kept:{" + tenant + "}",
				prefix + ":jobs:bytes:{" + tenant + "}");
	}

	/**
	 * Stores a new job if the tenant has fewer than {@code maxOpen} unfinished jobs and its kept jobs plus this one
	 * stay within {@code maxBytes}; the job is not queued yet (see {@link #enqueue}).
	 */
	public Mono<Submission> submit(String tenant, String id, Map<String, String> fields, long bytes, int maxOpen,
			long maxBytes) {
		long now = clock.millis();
		List<String> args = new ArrayList<>(List.of(Long.toString(now), Long.toString(now + ttl.toMillis()),
				Long.toString(ttl.toMillis()), Integer.toString(maxOpen), Long.toString(maxBytes), Long.toString(bytes), id));
		fields.forEach((field, value) -> {
			args.add(field);
			args.add(value);
		});
		return redis.execute(SUBMIT, tenantKeys(tenant, id), args)
			.next()
			.timeout(timeout)
			.map(verdict -> switch (verdict.intValue()) {
				case 0 -> Submission.ACCEPTED;
				case 1 -> Submission.TOO_MANY_OPEN;
				default -> Submission.STORAGE_FULL;
			});
	}

	/** Puts a stored job on the queue. */
	public Mono<RecordId> enqueue(String tenant, String id) {
		Map<String, String> message = new LinkedHashMap<>();
		message.put("tenant", tenant);
		message.put("id", id);
		return redis.opsForStream().add(MapRecord.create(queue(), message)).timeout(timeout);
	}

	/**
	 * Ends a job with {@code fields} (status, result), adding {@code resultBytes} to what its tenant keeps; frees its
	 * place among the tenant's unfinished jobs whatever the answer. {@link Finish#STORAGE_FULL}: nothing was written,
	 * keeping the result would pass {@code maxBytes}.
	 */
	public Mono<Finish> finish(String tenant, String id, Map<String, String> fields, long resultBytes, long maxBytes) {
		List<String> args = new ArrayList<>(List.of(id, Long.toString(resultBytes), Long.toString(maxBytes)));
		fields.forEach((field, value) -> {
			args.add(field);
			args.add(value);
		});
		return redis.execute(FINISH, tenantKeys(tenant, id), args)
			.next()
			.timeout(timeout)
			.map(verdict -> switch (verdict.intValue()) {
				case 0 -> Finish.KEPT;
				case 1 -> Finish.STORAGE_FULL;
				default -> Finish.GONE;
			});
	}

	public Mono<Map<String, String>> get(String tenant, String id) {
		return redis.<String, String>opsForHash()
			.entries(jobKey(tenant, id))
			.collectMap(Map.Entry::getKey, Map.Entry::getValue)
			.timeout(timeout)
			.filter(fields -> !fields.isEmpty());
	}

	/** Updates a job that still exists (never brings back an expired one without its TTL). */
	public Mono<Boolean> update(String tenant, String id, Map<String, String> fields) {
		List<String> args = new ArrayList<>();
		fields.forEach((field, value) -> {
			args.add(field);
			args.add(value);
		});
		return redis.execute(UPDATE_IF_PRESENT, List.of(jobKey(tenant, id)), args)
			.next()
			.timeout(timeout)
			.map(updated -> updated == 1);
	}

	/**
	 * Takes over one job that has been pending with another consumer for at least {@code idle}, scanning the pending
	 * entries from {@code cursor} on. The answer's cursor continues the scan; it is {@code 0-0} when the scan has
	 * gone round.
	 */
	@SuppressWarnings("unchecked")
	public Mono<Reclaimed> reclaim(String consumer, Duration idle, String cursor) {
		return redis
			.execute(RECLAIM, List.of(queue()),
					List.of(GROUP, consumer, Long.toString(idle.toMillis()), cursor))
			.next()
			.timeout(timeout)
			.map(reply -> {
				List<Object> values = (List<Object>) reply;
				String next = String.valueOf(values.get(0));
				if (values.size() < 2) {
					return new Reclaimed(next, null, Map.of());
				}
				Map<String, String> fields = new LinkedHashMap<>();
				for (int i = 2; i + 1 < values.size(); i += 2) {
					fields.put(String.valueOf(values.get(i)), String.valueOf(values.get(i + 1)));
				}
				return new Reclaimed(next, String.valueOf(values.get(1)), fields);
			});
	}

	/** What one reclaim scan step found: the cursor to go on from, and the entry taken over, if any. */
	public record Reclaimed(String cursor, String entryId, Map<String, String> fields) {
	}

}
