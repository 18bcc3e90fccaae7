package dev.spillway.gateway.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Accuracy of semantic hits on a labelled set written for this purpose (src/test/resources/cache/paraphrase-pairs.tsv):
 * rewordings that must hit, and near-misses that must not (another entity, a negation, another number, another
 * task or topic). Measured with the embedded model at the default threshold, with and without the second check;
 * the report (target/cache-evaluation.md) is copied into docs/benchmarks.md.
 */
class SemanticCacheEvaluationTests {

	private static LocalEmbeddingModel model;

	private static List<Pair> pairs;

	@BeforeAll
	static void embedEverything() throws IOException {
		model = new LocalEmbeddingModel(1, 16, Duration.ofSeconds(30));
		pairs = new ArrayList<>();
		Map<String, float[]> vectors = new HashMap<>();
		try (InputStream in = SemanticCacheEvaluationTests.class.getResourceAsStream("/cache/paraphrase-pairs.tsv")) {
			for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
				if (line.isBlank() || line.startsWith("#")) {
					continue;
				}
				String[] cells = line.split("\t");
				float[] stored = vectors.computeIfAbsent(cells[2], model::embedNow);
				float[] incoming = vectors.computeIfAbsent(cells[3], model::embedNow);
				pairs.add(new Pair(cells[0].equals("same"), cells[1], cells[2], cells[3], dot(stored, incoming)));
			}
		}
	}

	@AfterAll
	static void close() {
		model.destroy();
	}

	@Test
	void theSetIsLargeAndBalancedEnough() {
		assertThat(pairs).hasSizeGreaterThanOrEqualTo(300);
		assertThat(pairs.stream().filter(Pair::same)).hasSizeGreaterThanOrEqualTo(100);
		assertThat(pairs.stream().filter(p -> !p.same()).map(Pair::kind).distinct())
			.contains("entity", "negation", "number", "task");
	}

	@Test
	void atTheDefaultThresholdWithTheSecondCheckAtMostTwoPercentOfNearMissesHit() throws IOException {
		double threshold = new CacheProperties().getSimilarityThreshold();
		Rates checked = rates(threshold, true);
		Rates raw = rates(threshold, false);

		StringBuilder report = new StringBuilder();
		report.append("| threshold | paraphrase hit rate, cosine only | false-hit rate, cosine only "
				+ "| paraphrase hit rate, with second check | false-hit rate, with second check |\n");
		report.append("| --- | --- | --- | --- | --- |\n");
		for (double t = 0.70; t <= 0.981; t += 0.02) {
			Rates plain = rates(t, false);
			Rates withCheck = rates(t, true);
			report.append(String.format(Locale.ROOT, "| %.2f%s | %.1f%% | %.1f%% | %.1f%% | %.1f%% |%n", t,
					Math.abs(t - threshold) < 1e-9 ? " (default)" : "", plain.hitRate * 100, plain.falseHitRate * 100,
					withCheck.hitRate * 100, withCheck.falseHitRate * 100));
		}
		report.append(String.format(Locale.ROOT, "%nDefault threshold %.2f: %d paraphrase pairs, %d near-miss pairs; "
				+ "false hits with the second check: %s%nParaphrases above the threshold that the second check turned away: %s%n",
				threshold, raw.positives, raw.negatives, checked.falseHits, checked.rejectedByCheck));
		Files.createDirectories(Path.of("target"));
		Files.writeString(Path.of("target", "cache-evaluation.md"), report);
		System.out.println(report);

		assertThat(checked.falseHitRate).isLessThanOrEqualTo(0.02);
		assertThat(checked.hitRate).as("the check must not make the cache useless").isGreaterThan(0.5);
		assertThat(checked.falseHitRate).as("the second check must turn away near misses cosine lets through")
			.isLessThan(raw.falseHitRate);
		assertThat(checked.hitRate).as("and keep most paraphrases cosine finds").isGreaterThan(raw.hitRate * 0.8);
	}

	private static Rates rates(double threshold, boolean check) {
		int positives = 0;
		int hits = 0;
		int negatives = 0;
		int falseHits = 0;
		List<String> wrong = new ArrayList<>();
		List<String> rejected = new ArrayList<>();
		for (Pair pair : pairs) {
			boolean served = pair.similarity() >= threshold && (!check || QuestionCheck.agree(pair.incoming(), pair.stored()));
			if (pair.same()) {
				positives++;
				hits += served ? 1 : 0;
				if (!served && pair.similarity() >= threshold) {
					rejected.add("\"" + pair.stored() + "\" ~ \"" + pair.incoming() + "\"");
				}
			}
			else {
				negatives++;
				if (served) {
					falseHits++;
					wrong.add(pair.kind() + ": \"" + pair.stored() + "\" ~ \"" + pair.incoming() + "\"");
				}
			}
		}
		return new Rates(positives, negatives, hits / (double) positives, falseHits / (double) negatives, wrong,
				rejected);
	}

	private static double dot(float[] a, float[] b) {
		double sum = 0;
		for (int i = 0; i < a.length; i++) {
			sum += a[i] * b[i];
		}
		return sum;
	}

	private record Pair(boolean same, String kind, String stored, String incoming, double similarity) {
	}

	private record Rates(int positives, int negatives, double hitRate, double falseHitRate, List<String> falseHits,
			List<String> rejectedByCheck) {
	}

}
