package dev.spillway.benchmarks;

import java.net.URI;
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

import dev.spillway.gateway.config.SpillwayProperties;
import dev.spillway.gateway.routing.BackendInstance;
import dev.spillway.gateway.routing.BackendPlanner;
import dev.spillway.gateway.routing.BackendSelector;
import dev.spillway.gateway.routing.BackendState;

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
		SpillwayProperties.Pool pool = new SpillwayProperties.Pool();
		List<SpillwayProperties.Backend> backends = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			SpillwayProperties.Backend backend = new SpillwayProperties.Backend();
			backend.setId("b" + i);
			backend.setUrl(URI.create("http://backend-" + i));
			backend.setPriority(i < 3 ? 1 : 2);
			backend.setWeight(i + 1);
			backends.add(backend);
		}
		pool.setBackends(backends);
		return new BackendSelector("gpt", pool,
				backend -> new BackendState(CircuitBreaker.ofDefaults(backend.getId()), 30_000));
	}

}
