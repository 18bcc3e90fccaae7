package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.Deadlines;
import dev.spillway.gateway.wire.StoredAnswer;

/**
 * Looks answers up and stores them. A lookup reads the exact key first (one Redis read, made only when some instance
 * is known to have stored the key: see {@link CacheStore}); only on a miss, and only
 * when semantic lookups are on, it embeds the question, searches this instance's index within the question's
 * partition, applies the similarity threshold and the {@link QuestionCheck}, and reads the best candidate (one more
 * read). Questions longer than {@code max-question-length} are looked up exactly only. Any failure or timeout is a
 * miss: the request goes upstream.
 */
class ResponseCache {

	/** How many neighbours a semantic search considers. */
	static final int CANDIDATES = 3;

	private final CacheStore store;

	private final EmbeddingModel embeddings;

	private final boolean verify;

	private final int maxQuestionLength;

	private final Map<Lookup.Outcome, Counter> lookups = new EnumMap<>(Lookup.Outcome.class);

	private final Map<Lookup.Outcome, Timer> lookupTimes = new EnumMap<>(Lookup.Outcome.class);

	private final Timer embeddingTime;

	private final SelfCheck selfCheck;

	/** @param selfCheck the self-check, or {@code null} when semantic hits are served unchecked */
	public ResponseCache(CacheStore store, EmbeddingModel embeddings, boolean verify, int maxQuestionLength,
			SelfCheck selfCheck, MeterRegistry meters) {
		this.store = store;
		this.selfCheck = selfCheck;
		this.embeddings = embeddings;
		this.verify = verify;
		this.maxQuestionLength = maxQuestionLength;
		for (Lookup.Outcome outcome : Lookup.Outcome.values()) {
			lookups.put(outcome, Counter.builder("spillway.cache.lookups").tag("result", outcome.name()).register(meters));
			lookupTimes.put(outcome, Timer.builder("spillway.cache.lookup").tag("result", outcome.name()).register(meters));
		}
		this.embeddingTime = Timer.builder("spillway.cache.embedding").register(meters);
	}

	/** The embedding model's identity, or {@code none}. */
	public String embeddingModel() {
		return embeddings == null ? "none" : embeddings.id();
	}

	public Mono<Lookup> lookup(CacheSettings settings, String scope, String pool, CacheKeys keys, Duration timeout) {
		long start = System.nanoTime();
		String exactKey = store.key(scope, keys.exact());
		boolean exactKnown = store.mightHave(exactKey);
		// A question longer than the index keeps is neither searched for nor indexed: exact lookups only.
		boolean searchable = settings.semantic() && embeddings != null && !keys.question().isBlank()
				&& keys.question().length() <= maxQuestionLength;
		if (!exactKnown && !searchable) {
			// Nothing to wait for: answer at once, without arming a timeout timer for every request.
			Lookup miss = Lookup.miss(null);
			recorded(miss, start);
			return Mono.just(miss);
		}
		Mono<Lookup> semantic = searchable ? semantic(settings, pool, keys) : Mono.just(Lookup.miss(null));
		Mono<StoredAnswer> exact = exactKnown ? store.get(exactKey) : Mono.empty();
		return exact.map(entry -> new Lookup(Lookup.Outcome.HIT, entry, 1.0, null, null))
			.switchIfEmpty(Mono.defer(() -> semantic))
			.transform(Deadlines.within(timeout))
			.onErrorResume(failure -> Mono.just(Lookup.miss(null)))
			.doOnNext(result -> recorded(result, start));
	}

	private void recorded(Lookup result, long start) {
		lookups.get(result.outcome()).increment();
		lookupTimes.get(result.outcome()).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
	}

	private Mono<Lookup> semantic(CacheSettings settings, String pool, CacheKeys keys) {
		long start = System.nanoTime();
		return embeddings.embed(keys.question())
			.doOnNext(vector -> embeddingTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS))
			.flatMap(vector -> {
				List<VectorIndex.Match> matches = store.similar(keys.partition(), vector, CANDIDATES);
				for (VectorIndex.Match match : matches) {
					if (match.similarity() < settings.similarityThreshold()) {
						break;
					}
					String candidate = store.questionOf(match.id());
					if (candidate != null && (!verify || QuestionCheck.agree(keys.question(), candidate))) {
						return store.get(match.id())
							// Decided once the entry is read: a vanished entry is no candidate.
							.map(entry -> selfCheck == null || selfCheck.decide(pool, match.similarity(),
									settings.similarityThreshold()) == SelfCheck.Decision.SERVE
											? new Lookup(Lookup.Outcome.SEMANTIC_HIT, entry, match.similarity(), vector, null)
											: new Lookup(Lookup.Outcome.MISS, null, match.similarity(), vector, entry))
							.switchIfEmpty(Mono.fromSupplier(() -> {
								store.forget(match.id());
								return Lookup.miss(vector);
							}));
					}
				}
				return Mono.just(Lookup.miss(vector));
			});
	}

	/** The self-check, or {@code null}. */
	SelfCheck selfCheck() {
		return selfCheck;
	}

	/** Stores an answer under the request's keys. */
	public void store(String scope, CacheKeys keys, StoredAnswer entry, Duration ttl, float[] vector) {
		store.put(store.key(scope, keys.exact()), entry, ttl, keys.partition(), keys.question(), vector);
	}

	/**
	 * What a lookup found.
	 *
	 * @param outcome hit, semantic hit or miss
	 * @param entry the answer on a hit
	 * @param similarity the candidate's cosine similarity on a semantic hit (1 on an exact hit)
	 * @param vector the question's embedding, when computed (kept so a miss can be stored without embedding again)
	 * @param checked on a miss, the semantic candidate the self-check did not serve, to compare with the backend's
	 * answer; else {@code null}
	 */
	public record Lookup(Outcome outcome, StoredAnswer entry, double similarity, float[] vector, StoredAnswer checked) {

		/** How a request was served with respect to the cache, as {@code x-spillway-cache} says. */
		public enum Outcome {

			HIT, SEMANTIC_HIT, MISS, BYPASS

		}

		static Lookup miss(float[] vector) {
			return new Lookup(Outcome.MISS, null, 0, vector, null);
		}

	}

}
