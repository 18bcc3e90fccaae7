package dev.spillway.gateway.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What the cache would serve for each labelled pair, with one embedding model: an exact hit when the two prompts are
 * the same after {@link QuestionText#normalised}, otherwise a semantic hit when their cosine similarity reaches the
 * threshold and the {@link QuestionCheck} agrees — the decisions {@link CacheKeys} and {@link ResponseCache} make.
 */
final class CacheEvaluation {

	private final Map<String, float[]> vectors = new HashMap<>();

	private final long[] nanos;

	CacheEvaluation(Function<String, float[]> embed, LabelledPairs... splits) {
		List<String> texts = new ArrayList<>();
		for (LabelledPairs split : splits) {
			for (LabelledPairs.Pair pair : split.pairs()) {
				texts.add(pair.cached());
				texts.add(pair.incoming());
			}
		}
		List<String> distinct = texts.stream().distinct().toList();
		// Warm the model up before timing it: the first inferences are slower.
		for (String text : distinct.subList(0, Math.min(50, distinct.size()))) {
			embed.apply(text);
		}
		nanos = new long[distinct.size()];
		for (int i = 0; i < distinct.size(); i++) {
			long start = System.nanoTime();
			vectors.put(distinct.get(i), embed.apply(distinct.get(i)));
			nanos[i] = System.nanoTime() - start;
		}
		Arrays.sort(nanos);
	}

	/** A percentile of the time one embedding took, in milliseconds. */
	double embeddingMillis(double percentile) {
		return nanos[(int) Math.min(nanos.length - 1, Math.floor(percentile / 100 * nanos.length))] / 1e6;
	}

	double similarity(LabelledPairs.Pair pair) {
		float[] a = vectors.get(pair.cached());
		float[] b = vectors.get(pair.incoming());
		double sum = 0;
		for (int i = 0; i < a.length; i++) {
			sum += a[i] * b[i];
		}
		return sum;
	}

	boolean served(LabelledPairs.Pair pair, double threshold, boolean check) {
		if (QuestionText.normalised(pair.cached()).equals(QuestionText.normalised(pair.incoming()))) {
			return true;
		}
		return similarity(pair) >= threshold && (!check || QuestionCheck.agree(pair.incoming(), pair.cached()));
	}

	/** What the cache served before this evaluation set: exact bytes, cosine, and the earlier second check. */
	boolean servedBefore(LabelledPairs.Pair pair, double threshold) {
		return pair.cached().equals(pair.incoming()) || similarity(pair) >= threshold
				&& QuestionCheckBefore.agree(pair.incoming(), pair.cached());
	}

	Map<String, LabelledPairs.Rate> rates(LabelledPairs split, double threshold, boolean check) {
		return split.rates(pair -> served(pair, threshold, check));
	}

	/**
	 * The lowest threshold (in steps of 0.01) from which on the near-misses of {@code split} are served at most
	 * {@code falseHitRate} of the time: the most paraphrases served within that bound.
	 */
	double threshold(LabelledPairs split, double falseHitRate) {
		double chosen = 1.0;
		for (int step = 99; step >= 50; step--) {
			double threshold = step / 100.0;
			if (rates(split, threshold, true).get("all near-misses").value() > falseHitRate) {
				break;
			}
			chosen = threshold;
		}
		return chosen;
	}

	static String table(Map<String, LabelledPairs.Rate> first, String firstName, Map<String, LabelledPairs.Rate> second,
			String secondName) {
		StringBuilder table = new StringBuilder();
		table.append("| category | label | ").append(firstName).append(" | ").append(secondName).append(" |\n");
		table.append("| --- | --- | --- | --- |\n");
		for (String category : first.keySet()) {
			String label = LabelledPairs.POSITIVES.contains(category) || category.equals("all positives")
					? "served (TPR)" : "served wrongly (FPR)";
			table.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", category, label,
					first.get(category).formatted(), second.get(category).formatted()));
		}
		return table.toString();
	}

	static void write(String file, String report) {
		try {
			Files.createDirectories(Path.of("target"));
			Files.writeString(Path.of("target", file), report);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		System.out.println(report);
	}

	/** This process's resident memory in MiB, where the system says (Linux), else -1. */
	static long residentMiB() {
		try {
			for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
				if (line.startsWith("VmRSS:")) {
					return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// Not Linux: memory is not reported.
		}
		return -1;
	}

}
