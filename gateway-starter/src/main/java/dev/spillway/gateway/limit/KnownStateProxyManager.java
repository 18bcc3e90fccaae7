package dev.spillway.gateway.limit;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.AsyncCompareAndSwapOperation;
import io.github.bucket4j.distributed.remote.RemoteBucketState;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.github.bucket4j.redis.lettuce.cas.LettuceBasedProxyManager;

/**
 * Bucket4j's Lettuce proxy manager, minus the read before each write when this instance wrote the bucket last.
 * <p>
 * Bucket4j's Redis integration is compare and swap: read the bucket's state (GET), apply the command locally, then
 * write it only if the stored state is still the one read (a Lua script). That is two round trips per operation.
 * This manager remembers the state it last wrote for each bucket and offers it as the state read, so the common
 * case is one round trip: the compare and swap itself. Correctness still rests on the compare: when another
 * instance (or an expiry) changed the bucket, the swap fails, the remembered state is dropped and Bucket4j retries
 * the usual way with a real read.
 */
class KnownStateProxyManager extends LettuceBasedProxyManager<String> {

	private final Map<String, byte[]> lastWritten = new ConcurrentHashMap<>();

	KnownStateProxyManager(Bucket4jLettuce.LettuceBasedProxyManagerBuilder<String> builder) {
		super(builder);
	}

	@Override
	protected AsyncCompareAndSwapOperation beginAsyncCompareAndSwapOperation(String key) {
		AsyncCompareAndSwapOperation remote = super.beginAsyncCompareAndSwapOperation(key);
		return new AsyncCompareAndSwapOperation() {

			@Override
			public CompletableFuture<Optional<byte[]>> getStateData(Optional<Long> timeoutNanos) {
				byte[] known = lastWritten.get(key);
				return known != null ? CompletableFuture.completedFuture(Optional.of(known))
						: remote.getStateData(timeoutNanos);
			}

			@Override
			public CompletableFuture<Boolean> compareAndSwap(byte[] originalData, byte[] newData,
					RemoteBucketState newState, Optional<Long> timeoutNanos) {
				return remote.compareAndSwap(originalData, newData, newState, timeoutNanos).thenApply(swapped -> {
					if (swapped) {
						lastWritten.put(key, newData);
					}
					else if (originalData != null) {
						lastWritten.remove(key, originalData);
					}
					return swapped;
				});
			}

		};
	}

	@Override
	public void removeProxy(String key) {
		lastWritten.remove(key);
		super.removeProxy(key);
	}

}
