package dev.spillway.gateway.idempotency;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;

/**
 * Duplicates waiting on this instance for an in-flight twin, by idempotency key. One subscription per instance to the
 * store's channel wakes the waiters of a key when it is settled anywhere. Bounded: at most {@code maxPerKey} waiters
 * per key and {@code maxTotal} in all; a duplicate beyond either is refused at once rather than queued.
 */
class IdempotencyWaiters implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(IdempotencyWaiters.class);

	private final ReactiveRedisConnectionFactory connectionFactory;

	private final String channel;

	private final int maxPerKey;

	private final int maxTotal;

	private final ConcurrentMap<String, KeyWaiters> byKey = new ConcurrentHashMap<>();

	private final AtomicInteger total = new AtomicInteger();

	private volatile Disposable listening;

	public IdempotencyWaiters(ReactiveRedisConnectionFactory connectionFactory, String channel, int maxPerKey,
			int maxTotal) {
		this.connectionFactory = connectionFactory;
		this.channel = channel;
		this.maxPerKey = maxPerKey;
		this.maxTotal = maxTotal;
	}

	/** Registers a waiter for {@code key}; {@code null} when the key (or this instance) has as many as allowed. */
	public Waiter register(String key) {
		if (total.incrementAndGet() > maxTotal) {
			total.decrementAndGet();
			return null;
		}
		boolean[] admitted = new boolean[1];
		KeyWaiters waiters = byKey.compute(key, (k, existing) -> {
			KeyWaiters current = existing != null ? existing : new KeyWaiters();
			if (current.count < maxPerKey) {
				current.count++;
				admitted[0] = true;
			}
			return current;
		});
		if (!admitted[0]) {
			total.decrementAndGet();
			return null;
		}
		return new Waiter(key, waiters);
	}

	/** Waiters registered now, on this instance. */
	public int waiting() {
		return total.get();
	}

	private void wake(String key) {
		KeyWaiters waiters = byKey.get(key);
		if (waiters != null) {
			// Best effort: a waiter that misses this still re-checks on its own.
			waiters.settled.tryEmitNext(Boolean.TRUE);
		}
	}

	@Override
	public void start() {
		listening = Flux
			.usingWhen(Mono.fromCallable(() -> new ReactiveRedisMessageListenerContainer(connectionFactory)),
					container -> container.receive(ChannelTopic.of(channel)).map(message -> message.getMessage()),
					ReactiveRedisMessageListenerContainer::destroyLater)
			.doOnNext(this::wake)
			.doOnError(failure -> log.debug("Listening for settled idempotency keys failed, retrying: {}",
					failure.toString()))
			.retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(500)).maxBackoff(Duration.ofSeconds(10)))
			.subscribe();
	}

	@Override
	public void stop() {
		if (listening != null) {
			listening.dispose();
		}
	}

	@Override
	public boolean isRunning() {
		return listening != null && !listening.isDisposed();
	}

	private static final class KeyWaiters {

		private int count;

		private final Sinks.Many<Boolean> settled = Sinks.many().multicast().directBestEffort();

	}

	/** One waiting duplicate; close it when it stops waiting. */
	public final class Waiter implements AutoCloseable {

		private final String key;

		private final KeyWaiters waiters;

		private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

		private Waiter(String key, KeyWaiters waiters) {
			this.key = key;
			this.waiters = waiters;
		}

		/** Signals each time the key is announced as settled. */
		public Flux<Boolean> settled() {
			return waiters.settled.asFlux();
		}

		@Override
		public void close() {
			if (closed.compareAndSet(false, true)) {
				byKey.computeIfPresent(key, (k, current) -> --current.count == 0 ? null : current);
				total.decrementAndGet();
			}
		}

	}

}
