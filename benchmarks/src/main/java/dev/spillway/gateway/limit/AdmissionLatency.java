package dev.spillway.gateway.limit;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import redis.embedded.RedisServer;

import dev.spillway.benchmarks.Loopback;
import dev.spillway.gateway.core.SpillwayProperties;
import dev.spillway.gateway.core.Tenants;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * Latency of one tenant admission (token bucket + request bucket, Bucket4j over Lettuce) against a real Redis,
 * p50 and p99, sequential and with 16 admissions in flight, next to a plain Redis GET as the floor (one round
 * trip). Uses {@code REDIS_URL} when set (a {@code redis://host:port} URL), else an embedded Redis.
 * <p>
 * Run: {@code java -cp benchmarks/target/benchmarks.jar dev.spillway.benchmarks.AdmissionLatency}
 */
public final class AdmissionLatency {

	private static final int WARM_UP = 5_000;

	private static final int MEASURED = 20_000;

	private AdmissionLatency() {
	}

	public static void main(String[] args) throws Exception {
		RedisServer embedded = null;
		String host = "127.0.0.1";
		int port;
		String url = System.getenv("REDIS_URL");
		if (url != null && !url.isBlank()) {
			java.net.URI uri = java.net.URI.create(url);
			host = uri.getHost();
			port = uri.getPort() < 0 ? 6379 : uri.getPort();
		}
		else {
			port = Loopback.freePort();
			embedded = Loopback.redis(port);
			embedded.start();
		}
		LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration(host, port));
		factory.afterPropertiesSet();
		factory.start();
		try {
			LimitProperties limits = new LimitProperties();
			LimitProperties.Tier tier = new LimitProperties.Tier();
			tier.setTokensPerMinute(1_000_000_000L);
			tier.setRequestsPerMinute(1_000_000_000L);
			limits.getTiers().put("default", tier);
			SpillwayProperties.Tenant tenant = new SpillwayProperties.Tenant();
			tenant.getKeys().add("sk-bench");
			Tenants tenants = new Tenants(Map.of("bench", tenant));
			String prefix = "bench-" + UUID.randomUUID();
			LimitPlans plans = new LimitPlans(limits, new TenantLimitsProperties(), tenants, prefix, 1);
			TenantLimiter limiter = new TenantLimiter(new LimitBuckets(factory, Duration.ofSeconds(2), Clock.systemUTC()),
					Duration.ofSeconds(2), Duration.ofSeconds(1), LimitProperties.RedisDownPolicy.FAIL_OPEN, plans);
			LimitPlan plan = plans.plan("bench", "gpt-4o");
			ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);

			for (int i = 0; i < WARM_UP; i++) {
				admit(limiter, plan);
				redis.opsForValue().get(prefix + ":probe").block();
			}
			long[] floor = new long[MEASURED];
			long[] sequential = new long[MEASURED];
			for (int i = 0; i < MEASURED; i++) {
				long start = System.nanoTime();
				redis.opsForValue().get(prefix + ":probe").block();
				floor[i] = System.nanoTime() - start;
				start = System.nanoTime();
				admit(limiter, plan);
				sequential[i] = System.nanoTime() - start;
			}
			long[] concurrent = concurrent(limiter, plan, 16);
			System.out.printf("%-40s %10s %10s%n", "measurement (µs)", "p50", "p99");
			print("Redis GET (one round trip, floor)", floor);
			print("admission, sequential", sequential);
			print("admission, 16 in flight", concurrent);
			System.out.printf("ratio admission/GET at p50: %.2f%n",
					percentile(sequential, 50) / (double) percentile(floor, 50));
		}
		finally {
			factory.destroy();
			if (embedded != null) {
				embedded.stop();
			}
		}
	}

	private static void admit(TenantLimiter limiter, LimitPlan plan) {
		Admission admission = limiter.admit(plan, 500).block();
		if (admission == null || !admission.admitted()) {
			throw new IllegalStateException("admission failed: " + admission);
		}
	}

	private static long[] concurrent(TenantLimiter limiter, LimitPlan plan, int inFlight) throws InterruptedException {
		long[] latencies = new long[MEASURED];
		AtomicInteger next = new AtomicInteger();
		CountDownLatch done = new CountDownLatch(inFlight);
		for (int lane = 0; lane < inFlight; lane++) {
			new Thread(() -> {
				int i;
				while ((i = next.getAndIncrement()) < MEASURED) {
					long start = System.nanoTime();
					admit(limiter, plan);
					latencies[i] = System.nanoTime() - start;
				}
				done.countDown();
			}).start();
		}
		done.await();
		return latencies;
	}

	private static void print(String name, long[] nanos) {
		System.out.printf("%-40s %10.1f %10.1f%n", name, percentile(nanos, 50) / 1000.0, percentile(nanos, 99) / 1000.0);
	}

	private static long percentile(long[] nanos, int percentile) {
		long[] sorted = nanos.clone();
		Arrays.sort(sorted);
		return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)];
	}

}
