package dev.spillway.gateway.routing;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.BackendProperties.AuthHeader;
import dev.spillway.gateway.core.BackendProperties.BackendType;
import dev.spillway.gateway.core.PoolDefinition;

/**
 * Per-request cost of choosing a backend: the planner over a pool of two priority groups of three weighted
 * backends, healthy and with the first group throttled, against a bare random pick from a list as the floor.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BackendChoiceBenchmark {

	private BackendSelector healthy;

	private BackendSelector firstGroupThrottled;

	private List<BackendInstance> flat;

	@Setup
	public void setUp() {
		healthy = pool();
		firstGroupThrottled = pool();
		long hour = System.currentTimeMillis() + 3_600_000;
		firstGroupThrottled.groups().get(0).forEach(b -> b.state().extendThrottle(hour, "rate_limited"));
		flat = new ArrayList<>(healthy.backends());
	}

	@Benchmark
	public Object floorRandomPick() {
		return flat.get(ThreadLocalRandom.current().nextInt(flat.size()));
	}

	@Benchmark
	public Object planHealthyPool() {
		long now = System.currentTimeMillis();
		return BackendPlanner.plan(healthy, now, now, 500, Set.of());
	}

	@Benchmark
	public Object planWithFirstGroupThrottled() {
		long now = System.currentTimeMillis();
		return BackendPlanner.plan(firstGroupThrottled, now, now, 500, Set.of());
	}

	private static BackendSelector pool() {
		List<BackendDefinition> backends = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			backends.add(new BackendDefinition("gpt", "b" + i, URI.create("http://backend-" + i), BackendType.OPENAI,
					null, null, null, null, AuthHeader.BEARER, true, i < 3 ? 1 : 2, i + 1, -1));
		}
		PoolDefinition pool = new PoolDefinition("gpt", List.of("*"), backends, Duration.ZERO, 4, Duration.ofSeconds(60),
				null, null, null);
		return new BackendSelector(pool, backend -> new BackendState(CircuitBreaker.ofDefaults(backend.id()), 30_000));
	}

}
