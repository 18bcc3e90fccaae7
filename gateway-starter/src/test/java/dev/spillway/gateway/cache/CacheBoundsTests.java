package dev.spillway.gateway.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.core.SpillwayProperties;
import dev.spillway.gateway.wire.StoredAnswer;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cache's memory on an instance is bounded whatever the other instances announce: at most {@code max-entries}
 * known keys and index entries, questions past {@code max-question-length} never indexed, the index fed on its own
 * thread through a bounded queue (overflow counted, not waited for), and a malformed record on the feed skipped.
 * Announcements come from a plain Redis client, as another instance's would.
 */
@GatewayTest(properties = { "spillway.cache.enabled=true", "spillway.cache.embedding.type=none",
		"spillway.cache.max-entries=100", "spillway.cache.index-queue-capacity=8",
		"spillway.cache.max-question-length=200" })
class CacheBoundsTests {

	static final JsonMapper json = JsonMapper.builder().build();

	/** Threads the index was changed on. */
	static final Set<String> indexThreads = ConcurrentHashMap.newKeySet();

	static volatile CountDownLatch holdIndex = new CountDownLatch(0);

	static StatefulRedisConnection<String, String> redis;

	@Autowired
	CacheStore store;

	@Autowired
	VectorIndex index;

	@Autowired
	MeterRegistry meters;

	@Autowired
	SpillwayProperties properties;

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("spillway.pools.gpt.models", () -> "gpt-4o");
		registry.add("spillway.pools.gpt.backends[0].id", () -> "unused");
		registry.add("spillway.pools.gpt.backends[0].url", () -> "http://127.0.0.1:9");
	}

	@BeforeAll
	static void connect() {
		redis = TestRedis.connect(TestRedis.sharedUrl());
	}

	@AfterAll
	static void disconnect() {
		redis.close();
	}

	@AfterEach
	void letGo() {
		holdIndex.countDown();
	}

	@Test
	void aHundredThousandAnnouncementsKeepAtMostMaxEntriesKeysAndIndexEntries() {
		long expires = System.currentTimeMillis() + 3_600_000;
		RedisAsyncCommands<String, String> commands = redis.async();
		List<RedisFuture<Long>> sent = new ArrayList<>();
		for (int i = 0; i < 100_000; i++) {
			Map<String, String> record = i % 100 == 0 ? withVector(key("soak-" + i), "question " + i, expires)
					: Map.of("key", key("soak-" + i), "expires", Long.toString(expires));
			sent.add(commands.publish(feed(), announcement(record)));
			if (sent.size() == 1000) {
				LettuceFutures.awaitAll(Duration.ofSeconds(10), sent.toArray(new RedisFuture[0]));
				sent.clear();
			}
		}
		LettuceFutures.awaitAll(Duration.ofSeconds(10), sent.toArray(new RedisFuture[0]));

		await().atMost(Duration.ofSeconds(30)).until(() -> store.mightHave(key("soak-99999")));
		store.indexed().block(Duration.ofSeconds(10));
		assertThat(store.knownCount()).isLessThanOrEqualTo(100);
		assertThat(index.size()).isLessThanOrEqualTo(100);
		assertThat(store.mightHave(key("soak-0"))).as("the oldest went first").isFalse();
		assertThat(indexThreads).isNotEmpty().allMatch(name -> name.startsWith("spillway-cache-index-"));
	}

	@Test
	void whenTheIndexingQueueIsFullEntriesAreCountedAndServedExactlyOnly() throws Exception {
		long expires = System.currentTimeMillis() + 3_600_000;
		double droppedBefore = dropped();
		holdIndex = new CountDownLatch(1);
		redis.sync().publish(feed(), announcement(withVector(key("held"), "held question", expires)));
		await().atMost(Duration.ofSeconds(10)).until(() -> store.mightHave(key("held")));
		for (int i = 0; i < 20; i++) {
			redis.sync().publish(feed(), announcement(withVector(key("flood-" + i), "flood " + i, expires)));
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> store.mightHave(key("flood-19")));

		// At most 8 wait (one of them the periodic refresh); the rest are dropped on this instance, not waited for.
		assertThat(dropped() - droppedBefore).isGreaterThanOrEqualTo(12);
		for (int i = 0; i < 20; i++) {
			assertThat(store.mightHave(key("flood-" + i))).as("still served by exact lookups").isTrue();
		}
		holdIndex.countDown();
		// Until the queue has room again, even this is turned away.
		await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
			store.indexed().block(Duration.ofSeconds(10));
			return true;
		});
		assertThat(index.question(key("held"))).isEqualTo("held question");
	}

	@Test
	void aQuestionLongerThanTheLimitIsCachedForExactLookupsOnly() {
		String key = key("long-question");
		String question = "why ".repeat(60);
		store.put(key, new StoredAnswer("gpt-4o", "because", "stop", 1, 1, System.currentTimeMillis(), null),
				Duration.ofMinutes(5), "partition", question, new float[] { 1, 0, 0, 0 });

		store.indexed().block(Duration.ofSeconds(10));
		assertThat(store.mightHave(key)).isTrue();
		assertThat(index.question(key)).isNull();
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(store.get(key).block(Duration.ofSeconds(5))).isNotNull());
		assertThat(redis.sync().xrange(feed(), io.lettuce.core.Range.create("-", "+")))
			.noneMatch(record -> key.equals(record.getBody().get("key")));
	}

	@Test
	void aMalformedRecordOnTheFeedIsSkippedAndTheRestIsLoaded() {
		long expires = System.currentTimeMillis() + 3_600_000;
		redis.sync().xadd(feed(), Map.of("key", key("malformed"), "expires", "soon"));
		redis.sync().xadd(feed(), withVector(key("after-malformed"), "after", expires));

		store.load().block(Duration.ofSeconds(10));

		assertThat(store.mightHave(key("after-malformed"))).isTrue();
		assertThat(store.mightHave(key("malformed"))).isFalse();
	}

	private double dropped() {
		return meters.counter("spillway.cache.index.dropped").count();
	}

	private String feed() {
		return properties.getSharedState().getKeyPrefix() + ":cache:index";
	}

	private String key(String name) {
		return properties.getSharedState().getKeyPrefix() + ":cache:{acme}:" + name;
	}

	private static String announcement(Map<String, String> record) {
		return "another-instance\n" + json.writeValueAsString(record);
	}

	private static Map<String, String> withVector(String key, String question, long expires) {
		ByteBuffer bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
		bytes.putFloat(0.5f).putFloat(0.5f).putFloat(0.5f).putFloat(0.5f);
		return Map.of("key", key, "partition", "p", "model", "none", "expires", Long.toString(expires), "vector",
				Base64.getEncoder().encodeToString(bytes.array()), "question", question);
	}

	@TestConfiguration
	static class RecordingIndex {

		@Bean(destroyMethod = "close")
		@Primary
		VectorIndex recordingVectorIndex(CacheProperties properties) {
			return new VectorIndex(properties.getMaxEntries()) {

				@Override
				public void add(String id, String partition, String question, float[] vector, long expiresAtMillis) {
					indexThreads.add(Thread.currentThread().getName());
					try {
						holdIndex.await(20, TimeUnit.SECONDS);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
					super.add(id, partition, question, vector, expiresAtMillis);
				}

			};
		}

	}

}
