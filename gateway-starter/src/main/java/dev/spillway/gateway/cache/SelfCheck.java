package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

/**
 * The cache measuring its own semantic hits. A share of the candidates that would be served (every
 * {@code 1/sample-rate}-th, counted per pool, so the share is exact and tests can rely on it) is not served: the
 * request goes to the backend, the client gets the backend's answer (charged as a miss), and the answer is
 * compared with the candidate's — equal after normalisation for a deterministic request (temperature 0), else
 * similar by embedding. Outcomes are counted per pool and band of similarity ({@code band-width} wide), over the
 * last {@code window} comparisons of each band.
 * <p>
 * A band whose share of disagreements exceeds {@code target-disagreement} (once it has {@code min-comparisons}) stops
 * serving, and so does every band
 * below it: the pool's effective threshold rises to the top of the highest such band. Candidates that are not
 * served go to the backend anyway, so each of them is compared too, at no extra backend call: a closed band keeps
 * counting, and opens again once its recent comparisons agree. A closed band holds the bands below it down only
 * while its verdict is recent — for the next {@code window} comparisons of the pool — so that a band no traffic
 * reaches any more cannot keep the pool from serving forever. Counts, not time, decide.
 * <p>
 * Counts live on this instance only (every instance calibrates on its own traffic), bounded by pools × bands ×
 * {@code window}; a restart starts them over. In {@code shadow} mode every candidate is checked and none served.
 */
class SelfCheck {

	/** What to do with a semantic candidate that passed the threshold and the second check. */
	enum Decision {

		/** Serve it. */
		SERVE,

		/** Do not serve it: ask the backend and compare. */
		CHECK

	}

	private final CacheProperties.SelfCheck config;

	private final EmbeddingModel embeddings;

	private final Duration timeout;

	private final MeterRegistry meters;

	private final long period;

	/** The configured threshold, the gauge's floor. */
	private final double threshold;

	private final int bands;

	/** Per configured pool: bounded by the pools requests are routed to. */
	private final Map<String, Pool> pools = new ConcurrentHashMap<>();

	/** @param embeddings the model that compares non-deterministic answers, or {@code null} (they are not compared) */
	SelfCheck(CacheProperties.SelfCheck config, double threshold, EmbeddingModel embeddings, Duration timeout,
			MeterRegistry meters) {
		this.config = config;
		this.threshold = threshold;
		this.embeddings = embeddings;
		this.timeout = timeout;
		this.meters = meters;
		this.period = config.getSampleRate() <= 0 ? 0 : Math.max(1, Math.round(1 / config.getSampleRate()));
		this.bands = (int) Math.ceil(1.0 / config.getBandWidth()) + 1;
	}

	/** Whether a candidate of {@code pool} at {@code similarity} (at least the configured threshold) is served. */
	Decision decide(String pool, double similarity, double threshold) {
		Pool state = pool(pool);
		state.candidates.incrementAndGet();
		if (config.isShadow() || closed(state.band(similarity)) || similarity < state.effectiveThreshold(threshold)) {
			return Decision.CHECK;
		}
		if (period > 0 && state.sequence.incrementAndGet() % period == 0) {
			return Decision.CHECK;
		}
		state.served.incrementAndGet();
		return Decision.SERVE;
	}

	/**
	 * Compares the backend's answer with the candidate's and counts the outcome in the candidate's band. Answers
	 * to non-deterministic requests are embedded on the embedding pool; when that fails the comparison is skipped.
	 */
	void compare(String pool, double similarity, boolean deterministic, String fresh, String cached) {
		if (deterministic) {
			record(pool, similarity,
					QuestionText.normalised(shortened(fresh)).equals(QuestionText.normalised(shortened(cached))));
			return;
		}
		if (embeddings == null) {
			skipped(pool);
			return;
		}
		embeddings.embed(shortened(fresh))
			.zipWith(embeddings.embed(shortened(cached)))
			.map(vectors -> dot(vectors.getT1(), vectors.getT2()) >= config.getAnswerSimilarity())
			.timeout(timeout)
			.onErrorResume(failure -> Mono.empty())
			.switchIfEmpty(Mono.fromRunnable(() -> skipped(pool)))
			.subscribe(agreed -> record(pool, similarity, agreed));
	}

	/** Per pool: semantic candidates, hits served, comparisons and disagreements, effective threshold. */
	Map<String, Map<String, Object>> report() {
		Map<String, Map<String, Object>> report = new LinkedHashMap<>();
		pools.forEach((name, state) -> report.put(name, state.report(threshold)));
		return report;
	}

	/** The pool's effective threshold: the configured one, or above it while a band disagrees too often. */
	double effectiveThreshold(String pool, double threshold) {
		return pool(pool).effectiveThreshold(threshold);
	}

	private void record(String pool, double similarity, boolean agreed) {
		Pool state = pool(pool);
		if (!agreed) {
			state.disagreements.incrementAndGet();
		}
		state.band(similarity).record(agreed, state.comparisons.incrementAndGet());
		state.outcome(band(similarity), agreed ? "agree" : "disagree").increment();
	}

	/** Whether the band's recent comparisons stop it serving. */
	private boolean closed(Band band) {
		return band.disagreesTooOften(config.getTargetDisagreement(), config.getMinComparisons());
	}

	private void skipped(String pool) {
		pool(pool).outcome(-1, "skipped").increment();
	}

	private String shortened(String text) {
		return text.length() <= config.getMaxComparedLength() ? text : text.substring(0, config.getMaxComparedLength());
	}

	private int band(double similarity) {
		return (int) Math.max(0, Math.min(bands - 1, Math.floor(similarity / config.getBandWidth() + 1e-9)));
	}

	private Pool pool(String name) {
		return pools.computeIfAbsent(name, Pool::new);
	}

	private static double dot(float[] a, float[] b) {
		double sum = 0;
		for (int i = 0; i < a.length; i++) {
			sum += a[i] * b[i];
		}
		return sum;
	}

	/** One pool's calibration. */
	private final class Pool {

		final String name;

		final Band[] bandsOf = new Band[bands];

		final AtomicLong sequence = new AtomicLong();

		final AtomicLong comparisons = new AtomicLong();

		final AtomicLong disagreements = new AtomicLong();

		final AtomicLong candidates = new AtomicLong();

		final AtomicLong served = new AtomicLong();

		final Map<String, Counter> outcomes = new ConcurrentHashMap<>();

		Pool(String name) {
			this.name = name;
			for (int i = 0; i < bands; i++) {
				bandsOf[i] = new Band(config.getWindow());
			}
			Gauge.builder("spillway.cache.self-check.threshold", this, pool -> pool.effectiveThreshold(threshold))
				.tag("pool", name)
				.description("The lowest similarity the self-check lets this pool's semantic hits have")
				.register(meters);
		}

		Band band(double similarity) {
			return bandsOf[SelfCheck.this.band(similarity)];
		}

		Counter outcome(int band, String result) {
			String bandName = band < 0 ? "none" : String.format(java.util.Locale.ROOT, "%.2f", band * config.getBandWidth());
			return outcomes.computeIfAbsent(bandName + "/" + result, key -> Counter.builder("spillway.cache.self-check")
				.tag("pool", name)
				.tag("band", bandName)
				.tag("result", result)
				.description("Semantic candidates compared with the backend's answer")
				.register(meters));
		}

		/**
		 * The top of the highest band that disagrees too often and whose verdict is recent (one of the pool's last
		 * {@code window} comparisons), or {@code threshold} when none does.
		 */
		double effectiveThreshold(double threshold) {
			long now = comparisons.get();
			for (int i = bands - 1; i >= 0; i--) {
				Band band = bandsOf[i];
				if (closed(band) && band.recent(now, config.getWindow())) {
					return Math.max(threshold, (i + 1) * config.getBandWidth());
				}
			}
			return threshold;
		}

		Map<String, Object> report(double threshold) {
			long recent = 0;
			long recentDisagreements = 0;
			Map<String, Object> byBand = new LinkedHashMap<>();
			for (int i = 0; i < bands; i++) {
				Band band = bandsOf[i];
				long[] counts = band.counts();
				if (counts[0] > 0) {
					recent += counts[0];
					recentDisagreements += counts[1];
					byBand.put(String.format(java.util.Locale.ROOT, "%.2f", i * config.getBandWidth()),
							Map.of("recentComparisons", counts[0], "recentDisagreements", counts[1], "serving",
									!closed(band)));
				}
			}
			Map<String, Object> report = new LinkedHashMap<>();
			long asked = candidates.get();
			report.put("semanticCandidates", asked);
			report.put("semanticHitsServed", served.get());
			report.put("semanticHitRate", asked == 0 ? 0.0 : served.get() / (double) asked);
			report.put("comparisons", comparisons.get());
			report.put("disagreements", disagreements.get());
			report.put("disagreementRate", recent == 0 ? 0.0 : recentDisagreements / (double) recent);
			report.put("effectiveThreshold", effectiveThreshold(threshold));
			report.put("shadow", config.isShadow());
			report.put("bands", byBand);
			return report;
		}

	}

	/** The most recent comparisons of one band: a ring of outcomes. */
	private static final class Band {

		private final boolean[] disagreed;

		private int next;

		private int size;

		private int disagreements;

		/** The pool's comparison count when this band was last compared. */
		private long last;

		Band(int window) {
			this.disagreed = new boolean[window];
		}

		synchronized void record(boolean agreed, long comparison) {
			last = comparison;
			if (size == disagreed.length && disagreed[next]) {
				disagreements--;
			}
			disagreed[next] = !agreed;
			disagreements += agreed ? 0 : 1;
			next = (next + 1) % disagreed.length;
			size = Math.min(size + 1, disagreed.length);
		}

		synchronized boolean recent(long now, int window) {
			return now - last < window;
		}

		synchronized boolean disagreesTooOften(double target, int minComparisons) {
			return size >= minComparisons && disagreements > target * size;
		}

		/** Comparisons and disagreements in the window. */
		synchronized long[] counts() {
			return new long[] { size, disagreements };
		}

	}

}
