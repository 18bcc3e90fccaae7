package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;

/**
 * Throttles shared by every gateway instance through Redis, mirrored in each instance's memory so that choosing
 * a backend never waits on Redis.
 * <p>
 * One key per backend, {@code <prefix>:throttle:<pool>:<backend>}, holds the end of its throttle and expires then.
 * A Lua script extends it atomically and never shortens it, and announces the change on
 * {@code <prefix>:throttles}; every instance listens there and extends its mirror. A starting instance loads the
 * live keys. Backends' request-size limits (the largest request one can ever take) are shared the same way, under
 * {@code <prefix>:hint:<pool>:<backend>}, and, with the proactive spill on, what backends reported of their room when
 * it crossed a level, under {@code <prefix>:headroom:<pool>:<backend>}. When Redis cannot be reached, each instance goes on with what it knows: a
 * throttle it sees is applied locally at once, and re-shared, together with a reload of everyone else's, as soon as
 * Redis answers again.
 */
class SharedThrottles implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(SharedThrottles.class);

	private static final RedisScript<Long> EXTEND = RedisScript.of("""
			local current = redis.call('GET', KEYS[1])
			if current then
			  local untilMillis = tonumber(string.match(current, '^(%d+)'))
			  if untilMillis and untilMillis >= tonumber(ARGV[1]) then return 0 end
			end
			redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
			redis.call('PEXPIREAT', KEYS[1], ARGV[1])
			redis.call('PUBLISH', ARGV[3], ARGV[4])
			return 1
			""", Long.class);

	/** A backend's request-size limit: an expiring key of its own, announced on the same channel. */
	private static final RedisScript<Long> HINT = RedisScript.of("""
			redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
			redis.call('PEXPIREAT', KEYS[1], ARGV[2])
			redis.call('PUBLISH', ARGV[3], ARGV[4])
			return 1
			""", Long.class);

	/**
	 * Marks a pub/sub message that carries a request-size limit rather than a throttle; the {@code #} keeps it apart
	 * from the throttle of a pool named {@code limit}.
	 */
	private static final String LIMIT_MESSAGE = "#limit";

	/** Marks a pub/sub message that carries a backend's reported headroom. */
	private static final String HEADROOM_MESSAGE = "#headroom";

	private final PoolRegistry pools;

	private final ReactiveStringRedisTemplate redis;

	private final ReactiveRedisConnectionFactory connectionFactory;

	private final String keyPrefix;

	private final String hintPrefix;

	private final String headroomPrefix;

	private final String channel;

	private final Duration timeout;

	private final Duration resyncInterval;

	private volatile boolean connected;

	private volatile boolean resyncNeeded = true;

	private volatile Disposable listening;

	private volatile Disposable resyncing;

	public SharedThrottles(PoolRegistry pools, ReactiveStringRedisTemplate redis, String keyPrefix, Duration timeout,
			Duration resyncInterval) {
		this.pools = pools;
		this.redis = redis;
		this.connectionFactory = redis.getConnectionFactory();
		this.keyPrefix = keyPrefix + ":throttle:";
		this.hintPrefix = keyPrefix + ":hint:";
		this.headroomPrefix = keyPrefix + ":headroom:";
		this.channel = keyPrefix + ":throttles";
		this.timeout = timeout;
		this.resyncInterval = resyncInterval;
	}

	/**
	 * Throttles {@code backend} until {@code untilMillis} here at once, and shares it with every instance. Returns
	 * without waiting for Redis.
	 */
	public void throttle(BackendInstance backend, long untilMillis, String reason) {
		if (backend.state().extendThrottle(untilMillis, reason)) {
			share(backend, untilMillis, reason).subscribe(ok -> {
			}, failure -> lost("share a throttle", failure));
		}
	}

	/**
	 * Remembers, here at once and on every instance, that {@code backend} takes no request larger than
	 * {@code maxTokens} until {@code untilMillis} (a hint the backend gave, or one learned from its 429s).
	 */
	public void requestLimit(BackendInstance backend, long maxTokens, long untilMillis) {
		if (backend.state().learnMaxRequestTokens(maxTokens, untilMillis)) {
			String message = LIMIT_MESSAGE + " " + backend.pool() + " " + backend.id() + " " + maxTokens + " " + untilMillis;
			redis.execute(HINT, List.of(hintPrefix + backend.pool() + ":" + backend.id()),
					List.of(Long.toString(maxTokens), Long.toString(untilMillis), channel, message))
				.next()
				.timeout(timeout)
				.subscribe(ok -> {
				}, failure -> lost("share a request limit", failure));
		}
	}

	/**
	 * Tells every instance what {@code backend} reported of its room (called only when it crossed a level): an
	 * expiring key, gone when its budgets are full again, and an announcement on the throttle channel.
	 */
	public void shareHeadroom(BackendInstance backend, Headroom.Observation observed) {
		String value = observed.observedAtMillis() + ":" + observed.tokensRemaining() + ":" + observed.tokensLimit()
				+ ":" + observed.tokensFullAtMillis() + ":" + observed.requestsRemaining() + ":"
				+ observed.requestsLimit() + ":" + observed.requestsFullAtMillis() + ":"
				+ (Double.isNaN(observed.utilization()) ? "-" : Double.toString(observed.utilization()));
		long expiresAt = Math.max(observed.observedAtMillis() + 1000,
				Math.max(observed.tokensFullAtMillis(), observed.requestsFullAtMillis()));
		String message = HEADROOM_MESSAGE + " " + backend.pool() + " " + backend.id() + " " + value;
		redis.execute(HINT, List.of(headroomPrefix + backend.pool() + ":" + backend.id()),
				List.of(value, Long.toString(expiresAt), channel, message))
			.next()
			.timeout(timeout)
			.subscribe(ok -> {
			}, failure -> lost("share a backend's headroom", failure));
	}

	/** Whether the last exchange with Redis succeeded. */
	public boolean connected() {
		return connected;
	}

	private Mono<Long> share(BackendInstance backend, long untilMillis, String reason) {
		String message = backend.pool() + " " + backend.id() + " " + untilMillis + " " + reason;
		return redis.execute(EXTEND, List.of(keyPrefix + backend.pool() + ":" + backend.id()),
				List.of(Long.toString(untilMillis), reason, channel, message))
			.next()
			.timeout(timeout)
			.doOnNext(ok -> connected = true);
	}

	private void lost(String what, Throwable failure) {
		if (connected || !resyncNeeded) {
			log.warn("Could not {} through Redis; going on with local state until it answers: {}", what,
					failure.toString());
		}
		connected = false;
		resyncNeeded = true;
	}

	/** Re-shares live local throttles, then loads everyone's. Runs at start and after Redis was unreachable. */
	Mono<Void> resync() {
		long now = System.currentTimeMillis();
		Flux<Long> push = Flux.fromIterable(pools.names())
			.flatMapIterable(pool -> pools.selector(pool).backends())
			.filter(b -> b.state().throttledUntilMillis() > now)
			.concatMap(b -> share(b, b.state().throttledUntilMillis(), String.valueOf(b.state().throttleReason())));
		Flux<String> load = redis.scan(ScanOptions.scanOptions().match(keyPrefix + "*").count(500).build())
			.concatMap(key -> redis.opsForValue().get(key).map(value -> key + "=" + value))
			.doOnNext(this::applyKeyValue);
		Flux<String> hints = redis.scan(ScanOptions.scanOptions().match(hintPrefix + "*").count(500).build())
			.concatMap(key -> redis.opsForValue().get(key).map(value -> key + "=" + value))
			.doOnNext(this::applyHint);
		Flux<String> headroom = redis.scan(ScanOptions.scanOptions().match(headroomPrefix + "*").count(500).build())
			.concatMap(key -> redis.opsForValue().get(key).map(value -> key + "=" + value))
			.doOnNext(this::applyHeadroomKey);
		return push.thenMany(load).thenMany(hints).thenMany(headroom).then().timeout(timeout.multipliedBy(10)).doOnSuccess(done -> {
			if (!connected || resyncNeeded) {
				log.info("Shared throttle state synchronised with Redis");
			}
			connected = true;
			resyncNeeded = false;
		});
	}

	private void applyKeyValue(String keyAndValue) {
		int equals = keyAndValue.indexOf('=');
		String poolAndBackend = keyAndValue.substring(keyPrefix.length(), equals);
		int split = poolAndBackend.lastIndexOf(':');
		String value = keyAndValue.substring(equals + 1);
		int colon = value.indexOf(':');
		if (split < 0 || colon < 0) {
			return;
		}
		apply(poolAndBackend.substring(0, split), poolAndBackend.substring(split + 1), value.substring(0, colon),
				value.substring(colon + 1));
	}

	private void applyHint(String keyAndValue) {
		int equals = keyAndValue.indexOf('=');
		String poolAndBackend = keyAndValue.substring(hintPrefix.length(), equals);
		int split = poolAndBackend.lastIndexOf(':');
		String[] value = keyAndValue.substring(equals + 1).split(":", 2);
		if (split > 0 && value.length == 2) {
			applyLimit(poolAndBackend.substring(0, split), poolAndBackend.substring(split + 1), value[0], value[1]);
		}
	}

	private void applyHeadroomKey(String keyAndValue) {
		int equals = keyAndValue.indexOf('=');
		String poolAndBackend = keyAndValue.substring(headroomPrefix.length(), equals);
		int split = poolAndBackend.lastIndexOf(':');
		String value = keyAndValue.substring(equals + 1);
		int expiry = value.lastIndexOf(':');
		if (split > 0 && expiry > 0) {
			applyHeadroom(poolAndBackend.substring(0, split), poolAndBackend.substring(split + 1),
					value.substring(0, expiry));
		}
	}

	private void applyHeadroom(String pool, String backendId, String value) {
		BackendInstance backend = pools.instance(pool, backendId);
		String[] f = value.split(":");
		if (backend == null || f.length != 8) {
			return;
		}
		try {
			backend.state().headroom().observeShared(new Headroom.Observation(Long.parseLong(f[0]), Long.parseLong(f[1]),
					Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]),
					Long.parseLong(f[6]), "-".equals(f[7]) ? Double.NaN : Double.parseDouble(f[7])));
		}
		catch (NumberFormatException ex) {
			log.debug("Ignoring malformed shared headroom for {}/{}: {}", pool, backendId, value);
		}
	}

	private void applyLimit(String pool, String backendId, String tokens, String untilMillis) {
		BackendInstance backend = pools.instance(pool, backendId);
		if (backend == null) {
			return;
		}
		try {
			backend.state().learnMaxRequestTokens(Long.parseLong(tokens), Long.parseLong(untilMillis));
		}
		catch (NumberFormatException ex) {
			log.debug("Ignoring malformed request limit for {}/{}: {}", pool, backendId, tokens);
		}
	}

	private void applyMessage(String message) {
		if (message.startsWith(HEADROOM_MESSAGE + " ")) {
			String[] headroom = message.split(" ");
			if (headroom.length == 4) {
				applyHeadroom(headroom[1], headroom[2], headroom[3]);
			}
			return;
		}
		if (message.startsWith(LIMIT_MESSAGE + " ")) {
			String[] limit = message.split(" ");
			if (limit.length == 5) {
				applyLimit(limit[1], limit[2], limit[3], limit[4]);
			}
			return;
		}
		String[] parts = message.split(" ", 4);
		if (parts.length == 4) {
			apply(parts[0], parts[1], parts[2], parts[3]);
		}
	}

	private void apply(String pool, String backendId, String untilText, String reason) {
		BackendInstance backend = pools.instance(pool, backendId);
		if (backend == null) {
			return;
		}
		try {
			backend.state().extendThrottle(Long.parseLong(untilText), reason);
		}
		catch (NumberFormatException ex) {
			log.debug("Ignoring malformed shared throttle for {}/{}: {}", pool, backendId, untilText);
		}
	}

	private Flux<String> listen() {
		return Flux.usingWhen(Mono.fromCallable(() -> new ReactiveRedisMessageListenerContainer(connectionFactory)),
				container -> container.receive(ChannelTopic.of(channel)).map(m -> m.getMessage()),
				ReactiveRedisMessageListenerContainer::destroyLater);
	}

	@Override
	public void start() {
		Consumer<Throwable> onListenFailure = failure -> lost("listen for shared throttles", failure);
		listening = listen().doOnNext(this::applyMessage)
			.doOnError(onListenFailure)
			.retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(500)).maxBackoff(Duration.ofSeconds(10)))
			.subscribe();
		resyncing = Flux.interval(Duration.ZERO, resyncInterval)
			.onBackpressureDrop()
			.filter(tick -> resyncNeeded)
			.concatMap(tick -> resync().onErrorResume(failure -> {
				lost("synchronise shared throttles", failure);
				return Mono.empty();
			}))
			.subscribe();
	}

	@Override
	public void stop() {
		if (listening != null) {
			listening.dispose();
		}
		if (resyncing != null) {
			resyncing.dispose();
		}
	}

	@Override
	public boolean isRunning() {
		return listening != null && !listening.isDisposed();
	}

}
