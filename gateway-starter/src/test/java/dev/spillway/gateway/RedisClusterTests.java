package dev.spillway.gateway;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.Redis;
import redis.embedded.RedisShardedCluster;

import dev.spillway.gateway.request.Answer;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every feature that keeps state in Redis, on a real Redis Cluster (three masters with a replica each, redis-server
 * processes on loopback), before and after a master fails and its replica takes over: shared throttles, tenant
 * limits, the response cache, idempotency records (and the announcement that wakes a waiting duplicate) and async
 * jobs. A script touching keys of two slots would fail
 * with CROSSSLOT; none does.
 */
class RedisClusterTests {

	static RedisShardedCluster cluster;

	static RedisClusterClient clusterClient;

	static StatefulRedisClusterConnection<String, String> admin;

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a"),
			MockDeployment.unlimited("b"));

	static final String PREFIX = "clustered";

	/** Tenants with three requests a minute; about a third of them have their buckets on each master. */
	static final int TENANTS = 60;

	@BeforeAll
	static void startCluster() throws IOException {
		cluster = RedisShardedCluster.newRedisCluster()
			.shard("one", 1)
			.shard("two", 1)
			.shard("three", 1)
			.ephemeral()
			.build();
		cluster.start();
		for (int port : cluster.serverPorts()) {
			try (RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
					StatefulRedisConnection<String, String> node = client.connect()) {
				// Fail over within seconds, not the default 15 s.
				node.sync().configSet("cluster-node-timeout", "1500");
			}
		}
		clusterClient = RedisClusterClient.create(cluster.serverPorts().stream()
			.map(port -> RedisURI.create("127.0.0.1", port))
			.collect(Collectors.toList()));
		admin = clusterClient.connect();
	}

	@AfterAll
	static void stop() throws IOException {
		admin.close();
		clusterClient.shutdown();
		backend.close();
		cluster.stop();
	}

	@Test
	void everyFeatureWorksOnAClusterAndThroughAMasterFailover() throws IOException {
		ConfigurableApplicationContext second = null;
		ConfigurableApplicationContext gateway = startGateway();
		try {
			GatewayClient client = new GatewayClient(((WebServerApplicationContext) gateway).getWebServer().getPort());

			everyFeatureWorks(client, "tight-before", "before");

			// A second instance loads the live throttles from the cluster (a SCAN over every master) at start. It stays
			// up to the end, so both are closed after every assertion.
			long callsToA = backend.requestCount("a");
			second = startGateway();
			{
				GatewayClient secondClient = new GatewayClient(((WebServerApplicationContext) second).getWebServer().getPort());
				GatewayClient.Answer answer = secondClient.post("/v1/chat/completions",
						Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0", "x-spillway-cache", "bypass"),
						chat("second instance"));
				assertThat(answer.status()).isEqualTo(200);
				assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("b");
				assertThat(backend.requestCount("a")).isEqualTo(callsToA);
			}

			// After the failover the limits are checked again, exactly, for tenants whose buckets live in the slots of
			// the master that failed (each attempt with a tenant of its own, so an earlier attempt's requests don't count).
			int failedSlot = SlotHash.getSlot("tight-before");
			int failedPort = masterPortOf(failedSlot);
			Iterator<String> onFailedMaster = IntStream.range(0, TENANTS)
				.mapToObj(i -> "tight-" + i)
				.filter(tenant -> masterPortOf(SlotHash.getSlot(tenant)) == failedPort)
				.toList()
				.iterator();
			Redis failed = failMasterOf(failedSlot);
			try {
				// Until Lettuce has the new topology a command may time out: retry the whole round, each attempt with
				// questions and keys of its own so an earlier attempt's cache entry or record cannot answer for it.
				AtomicInteger attempt = new AtomicInteger();
				await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
					.untilAsserted(() -> {
					String phase = "after-" + attempt.incrementAndGet();
					try {
						everyFeatureWorks(client, onFailedMaster.next(), phase);
					}
					catch (AssertionError | RuntimeException ex) {
						System.out.println("Cluster round " + phase + " failed: " + ex);
						throw ex;
					}
				});
			}
			finally {
				failed.start();
			}
		}
		finally {
			closeWithin(gateway);
			if (second != null) {
				closeWithin(second);
			}
		}
	}

	/**
	 * Closing a context after the failover often hangs inside Lettuce's client shutdown (two runs in three on
	 * 2026-12-04: the thread waits in {@code AbstractRedisClient.shutdown} for connections still reconnecting to the
	 * stopped master; the web server has drained by then). The test has asserted everything before it closes, so a
	 * close that takes too long is reported rather than waited for.
	 */
	private static void closeWithin(ConfigurableApplicationContext context) {
		try {
			CompletableFuture.runAsync(context::close).get(5, TimeUnit.SECONDS);
		}
		catch (TimeoutException ex) {
			System.out.println("Closing a gateway context took longer than 5 s; going on");
		}
		catch (InterruptedException | ExecutionException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private void everyFeatureWorks(GatewayClient client, String tenant, String phase) {
		backend.reset();
		// Throttles: a 429 from "a" is shared in Redis as an expiring key.
		backend.throttle("a", Duration.ofSeconds(20));
		GatewayClient.Answer spilled = client.post("/v1/chat/completions",
				Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0"), chat("throttle " + phase));
		assertThat(spilled.status()).isEqualTo(200);
		assertThat(spilled.headers().get("x-spillway-backend")).isEqualTo("b");
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(keys(PREFIX + ":throttle:*"))
			.anySatisfy(key -> assertThat(key).endsWith(":a")));

		// Limits: three requests a minute for this tenant, the fourth is refused (by the buckets in the cluster: the
		// default policy admits everything when Redis cannot be reached).
		List<GatewayClient.Answer> answers = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			answers.add(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-" + tenant),
					chat("limit " + phase + " " + i)));
		}
		assertThat(answers).extracting(GatewayClient.Answer::status).containsExactly(200, 200, 200, 429);
		assertThat(answers.get(3).body()).contains("rate_limit_exceeded");
		assertThat(keys(PREFIX + ":limit:{" + tenant + "}:*")).isNotEmpty();

		// Cache: the same question twice is a hit.
		String question = "cache " + phase;
		assertThat(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), chat(question))
			.status()).isEqualTo(200);
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(client
			.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), chat(question))
			.headers().get("x-spillway-cache")).isEqualTo("HIT"));

		// Idempotency: a retry with the same key is replayed.
		Map<String, String> idempotent = Map.of("Authorization", "Bearer sk-acme", "Idempotency-Key", "retry-" + phase,
				"x-spillway-cache", "bypass");
		assertThat(client.post("/v1/chat/completions", idempotent, chat("idempotent " + phase)).status()).isEqualTo(200);
		GatewayClient.Answer replay = client.post("/v1/chat/completions", idempotent, chat("idempotent " + phase));
		assertThat(replay.headers().get("Idempotent-Replayed")).isEqualTo("true");

		// Idempotency: a duplicate waiting for its in-flight twin is woken by the announcement on the cluster's
		// pub/sub (the re-check runs once an hour here, and the wait gives up after 15 s).
		if (phase.equals("before")) {
			Map<String, String> slow = Map.of("Authorization", "Bearer sk-acme", "Idempotency-Key", "wait-" + phase,
					"x-spillway-cache", "bypass", MockOpenAiServer.FAULT_HEADER, "header-delay-ms=1000");
			CompletableFuture<GatewayClient.Answer> one = CompletableFuture
				.supplyAsync(() -> client.post("/v1/chat/completions", slow, chat("waited " + phase)));
			CompletableFuture<GatewayClient.Answer> two = CompletableFuture
				.supplyAsync(() -> client.post("/v1/chat/completions", slow, chat("waited " + phase)));
			assertThat(List.of(one.join(), two.join())).extracting(GatewayClient.Answer::status).containsExactly(200, 200);
			assertThat(one.join().body()).isEqualTo(two.join().body());
			assertThat(List.of(one.join(), two.join())).filteredOn(a -> "true".equals(a.headers().get("Idempotent-Replayed")))
				.hasSize(1);
		}

		// Jobs: accepted at once, worked off, result readable.
		GatewayClient.Answer accepted = client.post("/v1/chat/completions",
				Map.of("Authorization", "Bearer sk-acme", "Prefer", "respond-async"), chat("job " + phase));
		assertThat(accepted.status()).isEqualTo(202);
		String location = accepted.headers().get("Location");
		await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
			GatewayClient.Answer result = client.get(location, Map.of("Authorization", "Bearer sk-acme"));
			assertThat(result.status()).isEqualTo(200);
			assertThat(result.body()).contains("\"choices\"");
		});
	}

	/** The keys matching {@code pattern} on every node still running (masters and replicas). */
	private static List<String> keys(String pattern) {
		List<String> keys = new ArrayList<>();
		for (int port : cluster.serverPorts()) {
			try (RedisClient client = RedisClient.create(RedisURI.Builder.redis("127.0.0.1", port)
				.withTimeout(Duration.ofSeconds(1))
				.build()); StatefulRedisConnection<String, String> node = client.connect()) {
				keys.addAll(node.sync().keys(pattern));
			}
			catch (RuntimeException ex) {
				// the stopped master
			}
		}
		return keys;
	}

	private static String chat(String text) {
		return "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
	}

	private static int masterPortOf(int slot) {
		return admin.getPartitions().getPartitionBySlot(slot).getUri().getPort();
	}

	/** Stops the master serving {@code slot} and waits until its replica has taken the slot over. */
	private static Redis failMasterOf(int slot) throws IOException {
		int masterPort = masterPortOf(slot);
		Redis master = cluster.servers().get(cluster.serverPorts().indexOf(masterPort));
		master.stop();
		int survivor = cluster.serverPorts().stream().filter(port -> port != masterPort).findFirst().orElseThrow();
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
			try (RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", survivor));
					StatefulRedisConnection<String, String> node = client.connect()) {
				String nodes = node.sync().clusterNodes();
				return node.sync().clusterInfo().contains("cluster_state:ok") && nodes.lines()
					.filter(line -> line.contains("master") && !line.contains("fail"))
					.anyMatch(line -> servesSlot(line, slot));
			}
		});
		return master;
	}

	private static boolean servesSlot(String nodeLine, int slot) {
		String[] fields = nodeLine.split(" ");
		for (int i = 8; i < fields.length; i++) {
			String[] range = fields[i].split("-");
			if (range[0].startsWith("[")) {
				continue;
			}
			int from = Integer.parseInt(range[0]);
			int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
			if (slot >= from && slot <= to) {
				return true;
			}
		}
		return false;
	}

	private static ConfigurableApplicationContext startGateway() {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.cluster.nodes", cluster.serverPorts().stream()
			.map(port -> "127.0.0.1:" + port)
			.collect(Collectors.joining(",")));
		properties.put("spring.data.redis.timeout", "2s");
		properties.put("spring.data.redis.lettuce.cluster.refresh.adaptive", true);
		properties.put("spring.data.redis.lettuce.cluster.refresh.period", "1s");
		properties.put("spillway.shared-state.key-prefix", PREFIX);
		properties.put("spillway.cache.enabled", true);
		properties.put("spillway.cache.semantic", false);
		properties.put("spillway.jobs.poll-interval", "200ms");
		properties.put("spillway.idempotency.recheck-interval", "1h");
		properties.put("spillway.idempotency.wait-timeout", "15s");
		properties.put("spillway.limits.tiers.tight.requests-per-minute", 3);
		List<String> tenants = new ArrayList<>(List.of("tight-before"));
		IntStream.range(0, TENANTS).forEach(i -> tenants.add("tight-" + i));
		for (String tenant : tenants) {
			properties.put("spillway.tenants." + tenant + ".keys", "sk-" + tenant);
			properties.put("spillway.tenants." + tenant + ".tier", "tight");
		}
		for (int i = 0; i < 2; i++) {
			String deployment = i == 0 ? "a" : "b";
			properties.put("spillway.pools.gpt.backends[" + i + "].id", deployment);
			properties.put("spillway.pools.gpt.backends[" + i + "].type", "azure");
			properties.put("spillway.pools.gpt.backends[" + i + "].deployment", deployment);
			properties.put("spillway.pools.gpt.backends[" + i + "].url", backend.baseUrl());
			properties.put("spillway.pools.gpt.backends[" + i + "].priority", i + 1);
		}
		return new SpringApplicationBuilder(TestGatewayApplication.class).properties(properties)
			.initializers(context -> ((GenericApplicationContext) context).registerBean(ReactorResourceFactory.class,
					RedisClusterTests::ownEventLoops))
			.run();
	}

	/**
	 * Event loops of the context's own, not Reactor Netty's global ones: a close that outlives
	 * {@link #closeWithin} finishes in the background, and with the global loops it would stop the servers of
	 * whichever test runs then (it did, once: a later test's gateway refused connections).
	 */
	private static ReactorResourceFactory ownEventLoops() {
		ReactorResourceFactory factory = new ReactorResourceFactory();
		factory.setUseGlobalResources(false);
		return factory;
	}

}
