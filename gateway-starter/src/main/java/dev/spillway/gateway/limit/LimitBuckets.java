package dev.spillway.gateway.limit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.local.LocalBucketBuilder;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Where tenants' buckets live: in Redis through Bucket4j's Lettuce proxy manager (compare and swap, asynchronous;
 * one round trip when this instance wrote the bucket last, see {@link KnownStateProxyManager}), on a connection of
 * its own opened on first use; and, for the {@code local} policy while Redis is away, in this instance's memory.
 * Every bucket refills by the injected clock (Bucket4j's client clock). Bucket proxies are kept per key; their
 * number is bounded by the configuration (tenants × models with limits of their own).
 */
final class LimitBuckets implements DisposableBean {

	private final ReactiveRedisConnectionFactory connectionFactory;

	private final Duration timeout;

	private final TimeMeter time;

	private final Map<String, AsyncBucketProxy> sharedBuckets = new ConcurrentHashMap<>();

	private final Map<String, Bucket> localBuckets = new ConcurrentHashMap<>();

	private final Mono<AsyncProxyManager<String>> proxyManager;

	private volatile StatefulConnection<String, byte[]> connection;

	/** @param clock the clock buckets refill by, so tests can stop or drive refill */
	LimitBuckets(ReactiveRedisConnectionFactory connectionFactory, Duration timeout, Clock clock) {
		this.connectionFactory = connectionFactory;
		this.timeout = timeout;
		this.time = new ClockTimeMeter(clock);
		this.proxyManager = Mono.fromCallable(this::connect)
			.subscribeOn(Schedulers.boundedElastic())
			.cache(manager -> Duration.ofMillis(Long.MAX_VALUE), failure -> Duration.ZERO, () -> Duration.ZERO);
	}

	/** The proxy manager, connected on first use; a failed connection is tried again by the next caller. */
	Mono<AsyncProxyManager<String>> manager() {
		return proxyManager;
	}

	/** This instance's bucket for {@code key}, or {@code null} when it has none. */
	Bucket existingLocal(String key) {
		return localBuckets.get(key);
	}

	AsyncBucketProxy shared(AsyncProxyManager<String> manager, String key, BucketConfiguration configuration) {
		return sharedBuckets.computeIfAbsent(key, k -> manager.builder()
			.withImplicitConfigurationReplacement(version(configuration), TokensInheritanceStrategy.PROPORTIONALLY)
			.withOptimization(Optimizations.batching())
			.build(k, () -> CompletableFuture.completedFuture(configuration)));
	}

	Bucket local(String key, BucketConfiguration configuration) {
		return localBuckets.computeIfAbsent(key, k -> {
			LocalBucketBuilder builder = Bucket.builder().withCustomTimePrecision(time);
			for (Bandwidth bandwidth : configuration.getBandwidths()) {
				builder.addLimit(bandwidth);
			}
			return builder.build();
		});
	}

	/** A version that changes when the limits change, so Bucket4j replaces a stored configuration in place. */
	private static long version(BucketConfiguration configuration) {
		long version = 17;
		for (Bandwidth bandwidth : configuration.getBandwidths()) {
			version = 31 * version + Objects.hash(bandwidth.getId(), bandwidth.getCapacity(), bandwidth.getRefillTokens(),
					bandwidth.getRefillPeriodNanos());
		}
		return version & Long.MAX_VALUE;
	}

	private AsyncProxyManager<String> connect() {
		if (!(connectionFactory instanceof LettuceConnectionFactory lettuce)) {
			throw new IllegalStateException("Spillway's tenant limits need Spring Data Redis on Lettuce");
		}
		AbstractRedisClient client = lettuce.getRequiredNativeClient();
		RedisCodec<String, byte[]> codec = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
		Bucket4jLettuce.LettuceBasedProxyManagerBuilder<String> builder;
		if (client instanceof RedisClusterClient cluster) {
			var clusterConnection = cluster.connect(codec);
			connection = clusterConnection;
			builder = Bucket4jLettuce.casBasedBuilder(clusterConnection);
		}
		else {
			var standalone = ((RedisClient) client).connect(codec);
			connection = standalone;
			builder = Bucket4jLettuce.casBasedBuilder(standalone);
		}
		builder.expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
			.requestTimeout(timeout)
			.clientClock(time);
		return new KnownStateProxyManager(builder).asAsync();
	}

	/** Bucket4j's time source read from a {@link Clock}: wall-clock time, as Bucket4j's default is. */
	private record ClockTimeMeter(Clock clock) implements TimeMeter {

		@Override
		public long currentTimeNanos() {
			Instant now = clock.instant();
			return now.getEpochSecond() * 1_000_000_000L + now.getNano();
		}

		@Override
		public boolean isWallClockBased() {
			return true;
		}

	}

	@Override
	public void destroy() {
		StatefulConnection<String, byte[]> open = connection;
		if (open != null) {
			open.closeAsync();
		}
	}

}
