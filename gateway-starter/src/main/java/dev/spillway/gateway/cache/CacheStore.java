package dev.spillway.gateway.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.wire.StoredAnswer;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;

/**
 * Cached answers in Redis, and the feed that keeps every instance's {@link VectorIndex} current.
 * <p>
 * An answer is one key, {@code <prefix>:cache:{<scope>}:<exact hash>}, expiring after its TTL; a sorted set of
 * keys by age bounds their number (the oldest go). The bound is checked on every {@value #TRIM_EVERY}th store of an
 * instance rather than on each, so a store is two commands sent together; the count may overshoot by that many
 * per instance until the next check. A question's embedding is appended to the stream
 * {@code <prefix>:cache:index} (trimmed to the same bound) and announced on the channel of the same name: a
 * starting instance reads the stream, a running one listens, and each adds what it learns to its own index, so a
 * search never needs Redis and a hit costs one read.
 * <p>
 * Every stored key, with or without an embedding, is announced on that channel too, and each instance keeps the
 * keys it has heard of (a starting one reads them from the age index): an exact lookup asks Redis only for a key
 * some instance has stored, so a miss costs no round trip. A key stored elsewhere moments ago may not be known
 * yet (a miss, as if it had not been stored); a key that expired or was evicted is dropped when Redis says so.
 * Those keys are bounded like the cache ({@link KnownKeys}).
 * <p>
 * Additions to the index happen on one thread of their own ({@value #INDEX_THREAD}), fed by a bounded queue: the
 * threads that settle requests and receive the feed only hand entries over. When the queue is full the entry is not
 * indexed here (it is still served by exact lookups), counted by {@value #DROPPED_METRIC}. Questions longer than
 * {@code maxQuestionLength} are neither indexed nor carried on the feed. A record of the feed that cannot be read
 * is skipped, never fatal to the feed.
 */
class CacheStore implements SmartLifecycle, DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(CacheStore.class);

	static final int TRIM_EVERY = 32;

	/** The indexing thread's name (with a number). */
	static final String INDEX_THREAD = "spillway-cache-index";

	/** Entries not indexed on this instance because the indexing queue was full. */
	static final String DROPPED_METRIC = "spillway.cache.index.dropped";

	/** How often additions to the index become searchable and expired entries leave it. */
	private static final Duration REFRESH_EVERY = Duration.ofMillis(100);

	private final AtomicInteger stores = new AtomicInteger();

	/** Starts each announcement this instance makes, so it can skip its own when they come back on the channel. */
	private final String origin = UUID.randomUUID() + "\n";

	/** Keys some instance has stored, with when they expire. */
	private final KnownKeys known;

	private final ReactiveStringRedisTemplate redis;

	private final JsonMapper json;

	private final VectorIndex index;

	private final String prefix;

	private final String ages;

	private final String feed;

	private final int maxEntries;

	private final String embeddingModel;

	private final Duration timeout;

	private final int maxQuestionLength;

	private final Scheduler indexer;

	private final Counter dropped;

	private volatile Disposable listening;

	private volatile Disposable refreshing;

	public CacheStore(ReactiveStringRedisTemplate redis, JsonMapper json, VectorIndex index, String keyPrefix,
			int maxEntries, String embeddingModel, Duration timeout, int maxQuestionLength, int indexQueueCapacity,
			MeterRegistry meters) {
		this.redis = redis;
		this.json = json;
		this.index = index;
		this.prefix = keyPrefix + ":cache:";
		this.ages = keyPrefix + ":cache:ages";
		this.feed = keyPrefix + ":cache:index";
		this.maxEntries = maxEntries;
		this.embeddingModel = embeddingModel;
		this.timeout = timeout;
		this.maxQuestionLength = maxQuestionLength;
		this.known = new KnownKeys(maxEntries);
		this.indexer = Schedulers.newBoundedElastic(1, indexQueueCapacity, INDEX_THREAD, 60, true);
		this.dropped = Counter.builder(DROPPED_METRIC)
			.description("Cache entries not indexed on this instance because the indexing queue was full")
			.register(meters);
	}

	/** The Redis key of an answer. */
	public String key(String scope, String exactHash) {
		return prefix + "{" + scope + "}:" + exactHash;
	}

	/** The answer under {@code key}, or empty. */
	public Mono<StoredAnswer> get(String key) {
		return redis.opsForValue()
			.get(key)
			.map(text -> json.readValue(text, StoredAnswer.class))
			.switchIfEmpty(Mono.fromRunnable(() -> known.remove(key)));
	}

	/** Hands work on the index to the indexing thread; counts it as dropped when the queue is full. */
	private void indexLater(Runnable work, int entries) {
		try {
			indexer.schedule(() -> safely(work));
		}
		catch (RejectedExecutionException full) {
			dropped.increment(entries);
		}
	}

	private void safely(Runnable work) {
		try {
			work.run();
		}
		catch (RuntimeException ex) {
			log.warn("Could not update the cache index: {}", ex.toString());
		}
	}

	/** Whether some instance has stored {@code key} and it has not expired, as far as this instance has heard. */
	public boolean mightHave(String key) {
		return known.contains(key, System.currentTimeMillis());
	}

	/** The similar questions of the same partition, most similar first. */
	public List<VectorIndex.Match> similar(String partition, float[] vector, int k) {
		return index.search(partition, vector, k, System.currentTimeMillis());
	}

	/** The question a candidate of {@link #similar} was asked as. */
	public String questionOf(String key) {
		return index.question(key);
	}

	/** Forgets a key the index still knew but Redis no longer has (expired or evicted). */
	public void forget(String key) {
		known.remove(key);
		indexLater(() -> index.remove(key), 0);
	}

	/** Stores an answer (and its question's embedding, when given) for {@code ttl}. Returns without waiting. */
	public void put(String key, StoredAnswer entry, Duration ttl, String partition, String question, float[] vector) {
		long now = System.currentTimeMillis();
		long expiresAt = now + ttl.toMillis();
		String text = json.writeValueAsString(entry);
		known.put(key, expiresAt, now);
		if (question == null || question.length() > maxQuestionLength) {
			vector = null;
		}
		Mono<Void> store = Mono.when(redis.opsForValue().set(key, text, ttl), redis.opsForZSet().add(ages, key, now));
		if (stores.incrementAndGet() % TRIM_EVERY == 0) {
			store = store.then(redis.opsForZSet().size(ages))
				.flatMap(size -> size <= maxEntries ? Mono.empty()
						: redis.opsForZSet().popMin(ages, size - maxEntries).flatMap(old -> redis.delete(old.getValue())).then());
		}
		if (vector != null) {
			Map<String, String> record = indexRecord(key, partition, question, expiresAt, vector);
			float[] embedding = vector;
			indexLater(() -> index.add(key, partition, question, embedding, expiresAt), 1);
			store = store.then(redis.opsForStream().add(MapRecord.create(feed, record)))
				.then(redis.opsForStream().trim(feed, maxEntries, true))
				.then(redis.convertAndSend(feed, encode(record)))
				.then();
		}
		else {
			store = store.then(redis.convertAndSend(feed, encode(Map.of("key", key, "expires", Long.toString(expiresAt)))))
				.then();
		}
		store.timeout(timeout.multipliedBy(4))
			.subscribe(done -> {
			}, failure -> log.warn("Could not store a cache entry: {}", failure.toString()));
	}

	private Map<String, String> indexRecord(String key, String partition, String question, long expiresAt,
			float[] vector) {
		ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
		for (float value : vector) {
			bytes.putFloat(value);
		}
		Map<String, String> record = new LinkedHashMap<>();
		record.put("key", key);
		record.put("partition", partition);
		record.put("model", embeddingModel);
		record.put("expires", Long.toString(expiresAt));
		record.put("vector", Base64.getEncoder().encodeToString(bytes.array()));
		record.put("question", question);
		return record;
	}

	/** An announcement: this instance's origin line, then the record as JSON. */
	private String encode(Map<String, String> record) {
		return origin + json.writeValueAsString(record);
	}

	@SuppressWarnings("unchecked")
	private void learn(String message) {
		if (message.startsWith(origin)) {
			// This instance's own store: put() has already added it locally.
			return;
		}
		try {
			learn((Map<String, String>) json.readValue(message.substring(message.indexOf('\n') + 1), Map.class));
		}
		catch (RuntimeException ex) {
			log.debug("Ignoring a malformed cache index record: {}", ex.toString());
		}
	}

	/** Learns one record of the feed; a record that cannot be read is skipped. */
	private void learn(Map<String, String> record) {
		Runnable addition = read(record);
		if (addition != null) {
			indexLater(addition, 1);
		}
	}

	/** Notes the record's key; returns its addition to the index, or {@code null} when it has none (or is bad). */
	private Runnable read(Map<String, String> record) {
		try {
			long expires = Long.parseLong(record.get("expires"));
			long now = System.currentTimeMillis();
			String key = record.get("key");
			if (expires <= now || key == null) {
				return null;
			}
			known.put(key, expires, now);
			String question = record.get("question");
			String vector = record.get("vector");
			String partition = record.get("partition");
			if (!embeddingModel.equals(record.get("model")) || vector == null || question == null || partition == null
					|| question.length() > maxQuestionLength) {
				return null;
			}
			return () -> index.add(key, partition, question, decode(vector), expires);
		}
		catch (RuntimeException ex) {
			log.debug("Ignoring a malformed cache index record: {}", ex.toString());
			return null;
		}
	}

	private static float[] decode(String base64) {
		ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
		float[] vector = new float[bytes.remaining() / 4];
		for (int i = 0; i < vector.length; i++) {
			vector[i] = bytes.getFloat();
		}
		return vector;
	}

	/** Reads the whole feed (bounded by the entry limit), page by page, and the newest keys of the age index. */
	Mono<Void> load() {
		Mono<Void> keys = redis.opsForZSet()
			.range(ages, Range.closed(-(long) maxEntries, -1L))
			.doOnNext(known::putIfAbsent)
			.then();
		return keys.then(loadFrom("-"));
	}

	private Mono<Void> loadFrom(String after) {
		Range<String> range = after.equals("-") ? Range.unbounded() : Range.leftOpen(after, "+");
		return redis.opsForStream()
			.range(feed, range, Limit.limit().count(1000))
			.collectList()
			.flatMap(page -> {
				List<Runnable> additions = new ArrayList<>(page.size());
				for (MapRecord<String, Object, Object> record : page) {
					Map<String, String> fields = new LinkedHashMap<>();
					record.getValue().forEach((k, v) -> fields.put(String.valueOf(k), String.valueOf(v)));
					Runnable addition = read(fields);
					if (addition != null) {
						additions.add(addition);
					}
				}
				// A page is one task of the indexing thread, and the next page is read once it is done: loading never
				// outruns the thread nor fills its queue.
				Mono<Void> indexed = Mono.<Void>fromRunnable(() -> additions.forEach(this::safely))
					.subscribeOn(indexer)
					.onErrorResume(RejectedExecutionException.class, full -> {
						dropped.increment(additions.size());
						return Mono.empty();
					});
				if (page.size() < 1000) {
					return indexed;
				}
				RecordId last = page.get(page.size() - 1).getId();
				return indexed.then(loadFrom(last.getValue()));
			});
	}

	@Override
	public void start() {
		listening = Flux.usingWhen(Mono.fromCallable(() -> new ReactiveRedisMessageListenerContainer(redis.getConnectionFactory())),
				container -> container.receive(ChannelTopic.of(feed))
					.map(m -> m.getMessage())
					.mergeWith(load().then(Mono.empty())),
				ReactiveRedisMessageListenerContainer::destroyLater)
			.doOnNext(this::learn)
			.doOnError(failure -> log.warn("Cache index feed interrupted: {}", failure.toString()))
			.retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(500)).maxBackoff(Duration.ofSeconds(10)))
			.subscribe();
		refreshing = indexer.schedulePeriodically(() -> safely(index::refresh), REFRESH_EVERY.toMillis(), REFRESH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
	}

	@Override
	public void stop() {
		if (listening != null) {
			listening.dispose();
		}
		if (refreshing != null) {
			refreshing.dispose();
		}
	}

	@Override
	public void destroy() {
		indexer.dispose();
	}

	/** How many keys this instance knows of (tests). */
	int knownCount() {
		return known.size();
	}

	/** Completes once the indexing thread has done what it was handed so far (tests). */
	Mono<Void> indexed() {
		return Mono.<Void>fromRunnable(index::refresh).subscribeOn(indexer);
	}

	@Override
	public boolean isRunning() {
		return listening != null && !listening.isDisposed();
	}

}
