package dev.spillway.gateway.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.e5smallv2q.E5SmallV2QuantizedEmbeddingModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-process models that resolve with the project's LangChain4j, compared the way the cache uses them: each
 * one's threshold is chosen on the tune split (the lowest from which at most 1 % of its near-misses are served,
 * with the second check), then its held-out rates at that threshold are reported, with the time one embedding takes
 * on this machine (one thread) and the memory the model adds to the process. The report is
 * {@code target/cache-model-comparison.md}; the tune split's errors with the default model, the only ones looked at
 * while building the check, are in {@code target/cache-tune-errors.md}.
 * <p>
 * A measurement, not a check (it asserts only that every model was measured), and the slowest run in the suite (four
 * models over 2,389 pairs: over two minutes): run on request with
 * {@code ./mvnw -B -pl mock-openai,gateway-starter verify -Dtest=EmbeddingModelComparisonTests -Dsurefire.failIfNoSpecifiedTests=false -Dspillway.measure=true}.
 */
@EnabledIfSystemProperty(named = "spillway.measure", matches = "true")
class EmbeddingModelComparisonTests {

	/** The goal on the tune split: a threshold is the lowest from which at most 1 % of its near-misses are served. */
	private static final double TUNE_FALSE_HIT_RATE = 0.01;

	record Candidate(String id, Supplier<EmbeddingModel> load, String prefix) {
	}

	@Test
	void eachModelIsMeasuredOnHeldOutDataAtTheThresholdItsTuneSplitGives() {
		LabelledPairs tune = LabelledPairs.tune();
		LabelledPairs heldOut = LabelledPairs.heldOut();
		List<Candidate> candidates = List.of(
				new Candidate("all-minilm-l6-v2-q", AllMiniLmL6V2QuantizedEmbeddingModel::new, ""),
				new Candidate("all-minilm-l6-v2", AllMiniLmL6V2EmbeddingModel::new, ""),
				new Candidate("bge-small-en-v15-q", BgeSmallEnV15QuantizedEmbeddingModel::new, ""),
				// E5 is trained with a prefix on every text; "query: " is its model card's choice for similarity.
				new Candidate("e5-small-v2-q", E5SmallV2QuantizedEmbeddingModel::new, "query: "));

		StringBuilder report = new StringBuilder();
		report.append("| model | dimensions | added memory (RSS) | embedding p50 / p99 (one thread) "
				+ "| threshold from tune | tune: paraphrases / near-misses served "
				+ "| held-out: paraphrases served | held-out: near-misses served |\n");
		report.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
		List<String> measured = new ArrayList<>();
		// ONNX Runtime's own memory is counted once, before the first model, not against it.
		new AllMiniLmL6V2QuantizedEmbeddingModel().embed("warm up");
		StringBuilder sweeps = new StringBuilder();
		for (Candidate candidate : candidates) {
			long before = CacheEvaluation.residentMiB();
			EmbeddingModel model = candidate.load().get();
			Function<String, float[]> embed = text -> dev.spillway.gateway.cache.EmbeddingModel
				.normalise(model.embed(candidate.prefix() + text).content().vector());
			CacheEvaluation evaluation = new CacheEvaluation(embed, tune, heldOut);
			long after = CacheEvaluation.residentMiB();
			double threshold = evaluation.threshold(tune, TUNE_FALSE_HIT_RATE);
			Map<String, LabelledPairs.Rate> onTune = evaluation.rates(tune, threshold, true);
			Map<String, LabelledPairs.Rate> onHeldOut = evaluation.rates(heldOut, threshold, true);
			report.append(String.format(Locale.ROOT, "| %s | %d | %s | %.1f / %.1f ms | %.2f | %.1f %% / %.1f %% | %s | %s |%n",
					candidate.id(), embed.apply("dimensions").length,
					before < 0 ? "n/a" : "+" + (after - before) + " MiB", evaluation.embeddingMillis(50),
					evaluation.embeddingMillis(99), threshold, onTune.get("paraphrase").value() * 100,
					onTune.get("all near-misses").value() * 100, onHeldOut.get("paraphrase").formatted(),
					onHeldOut.get("all near-misses").formatted()));
			sweeps.append("\n").append(candidate.id()).append(" on the tune split, second check on: threshold → "
					+ "paraphrases served / near-misses served\n\n");
			for (int step = 80; step <= 98; step += 2) {
				Map<String, LabelledPairs.Rate> at = evaluation.rates(tune, step / 100.0, true);
				sweeps.append(String.format(Locale.ROOT, "- %.2f → %.1f %% / %.1f %%%n", step / 100.0,
						at.get("paraphrase").value() * 100, at.get("all near-misses").value() * 100));
			}
			if (candidate.id().equals(LocalEmbeddingModel.ID)) {
				CacheEvaluation.write("cache-tune-errors.md", tuneErrors(tune, evaluation,
						new CacheProperties().getSimilarityThreshold()));
			}
			measured.add(candidate.id());
		}
		report.append("\nMemory is the growth of the process's resident set while the model loads and embeds both "
				+ "splits, after ONNX Runtime was initialised, models loaded one after the other in the order above "
				+ "(approximate: a later model may reuse memory an earlier one left).\n");
		report.append(sweeps);
		CacheEvaluation.write("cache-model-comparison.md", report.toString());

		assertThat(measured).hasSize(candidates.size());
	}

	/** The tune split's false hits and turned-away paraphrases at a threshold, with what the check said. */
	private static String tuneErrors(LabelledPairs tune, CacheEvaluation evaluation, double threshold) {
		StringBuilder errors = new StringBuilder(String.format(Locale.ROOT, "Tune split at %.2f%n%n", threshold));
		for (LabelledPairs.Pair pair : tune.pairs()) {
			boolean served = evaluation.served(pair, threshold, true);
			double similarity = evaluation.similarity(pair);
			if (served != pair.same() && (served || similarity >= threshold - 0.1)) {
				errors.append(String.format(Locale.ROOT, "- %s %s %.3f %s: \"%s\" ~ \"%s\"%n",
						served ? "FALSE HIT" : "turned away", pair.category(), similarity,
						QuestionCheck.disagreement(pair.incoming(), pair.cached()), pair.cached(), pair.incoming()));
			}
		}
		return errors.toString();
	}

}
