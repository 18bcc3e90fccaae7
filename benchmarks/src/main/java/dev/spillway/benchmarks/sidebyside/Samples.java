package dev.spillway.benchmarks.sidebyside;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Latencies (nanoseconds) of one measurement, recorded lock-free from the client's event loops. */
final class Samples {

	private final long[] values;

	private final AtomicInteger size = new AtomicInteger();

	private final AtomicLong errors = new AtomicLong();

	private volatile long startNanos = System.nanoTime();

	private volatile long endNanos;

	Samples(int capacity) {
		this.values = new long[capacity];
	}

	void start() {
		startNanos = System.nanoTime();
	}

	void end() {
		endNanos = System.nanoTime();
	}

	void record(long nanos) {
		int index = size.getAndIncrement();
		if (index < values.length) {
			values[index] = nanos;
		}
	}

	void error() {
		errors.incrementAndGet();
	}

	long count() {
		return Math.min(size.get(), values.length);
	}

	long errors() {
		return errors.get();
	}

	double perSecond() {
		return count() / ((endNanos - startNanos) / 1e9);
	}

	/** The {@code quantile} (0..1) in milliseconds. */
	double millis(double quantile) {
		int n = (int) count();
		if (n == 0) {
			return Double.NaN;
		}
		long[] sorted = Arrays.copyOf(values, n);
		Arrays.sort(sorted);
		int index = Math.min(n - 1, (int) Math.ceil(quantile * n) - 1);
		return sorted[Math.max(0, index)] / 1e6;
	}

}
