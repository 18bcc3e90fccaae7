package dev.spillway.gateway.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

import dev.spillway.gateway.core.Hashes;

/**
 * The cache's labelled evaluation set, {@code src/test/resources/cache/eval/}: pairs of a cached prompt and a new
 * one, labelled 1 when the cached answer is right for the new prompt and 0 when it is not, in categories
 * ({@code paraphrase} and {@code surface} are the positives; {@code number}, {@code entity}, {@code negation},
 * {@code order}, {@code related} and {@code instruction} the near-misses). The set comes in two splits written by
 * different authors on different domains: {@code tune} may be looked at while building the cache; {@code held-out}
 * is only reported on. Both are pinned by their SHA-256, so an edit fails the build instead of moving the figures.
 */
record LabelledPairs(String split, List<Pair> pairs) {

	static final String TUNE_SHA256 = "eb46c8aaa4e75ef85d7ca485c519545b93fc6d481a82afb6fdcda0ccfc03bef5";

	static final String TUNE_EXTRA_SHA256 = "87f4fcec497a3e68aa3a81889d089c2aaf554b21a38059df5739dd45fc78fa28";

	static final String HELD_OUT_SHA256 = "a9eb0076aa3a5dd20f6b18732138629e5ca65cce514ca67e8ca36a3274a1ab9e";

	static final List<String> POSITIVES = List.of("paraphrase", "surface");

	static final List<String> NEAR_MISSES = List.of("number", "entity", "negation", "order", "related", "instruction");

	/** The tune split: the first 900 pairs, and 599 more written later on other domains to tune the check further. */
	static LabelledPairs tune() {
		List<Pair> pairs = new ArrayList<>(load("tune", "/cache/eval/semantic-pairs-tune.tsv", TUNE_SHA256).pairs());
		pairs.addAll(load("tune", "/cache/eval/semantic-pairs-tune-extra.tsv", TUNE_EXTRA_SHA256).pairs());
		return new LabelledPairs("tune", List.copyOf(pairs));
	}

	static LabelledPairs heldOut() {
		return load("held-out", "/cache/eval/semantic-pairs-heldout.tsv", HELD_OUT_SHA256);
	}

	private static LabelledPairs load(String split, String resource, String sha256) {
		byte[] bytes;
		try (InputStream in = LabelledPairs.class.getResourceAsStream(resource)) {
			bytes = in.readAllBytes();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		String actual = Hashes.sha256Hex(bytes);
		if (!actual.equals(sha256)) {
			throw new IllegalStateException(resource + " changed: its SHA-256 is " + actual + ", pinned " + sha256);
		}
		List<Pair> pairs = new ArrayList<>();
		for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
			if (line.isBlank()) {
				continue;
			}
			String[] cells = line.split("\t");
			if (cells.length != 4 || !(cells[1].equals("0") || cells[1].equals("1"))) {
				throw new IllegalStateException(resource + ": not <category> <0|1> <cached> <new>: " + line);
			}
			pairs.add(new Pair(cells[0], cells[1].equals("1"), cells[2], cells[3]));
		}
		return new LabelledPairs(split, List.copyOf(pairs));
	}

	/** One labelled pair: whether the answer cached for {@code cached} is right for {@code incoming}. */
	record Pair(String category, boolean same, String cached, String incoming) {
	}

	/** How a decision fared on one category: served out of all, with a Wilson 95 % interval. */
	record Rate(String category, int served, int of) {

		double value() {
			return of == 0 ? 0 : served / (double) of;
		}

		double low() {
			return wilson(-1);
		}

		double high() {
			return wilson(1);
		}

		private double wilson(int side) {
			if (of == 0) {
				return 0;
			}
			double z = 1.959964;
			double p = value();
			double z2n = z * z / of;
			double centre = p + z2n / 2;
			double spread = z * Math.sqrt(p * (1 - p) / of + z2n / (4 * of));
			return Math.min(1, Math.max(0, (centre + side * spread) / (1 + z2n)));
		}

		String formatted() {
			return String.format(Locale.ROOT, "%.1f %% [%.1f, %.1f] (%d / %d)", value() * 100, low() * 100,
					high() * 100, served, of);
		}

	}

	/** The share of each category's pairs {@code served} serves, and the totals of positives and near-misses. */
	Map<String, Rate> rates(Predicate<Pair> served) {
		Map<String, Rate> rates = new LinkedHashMap<>();
		for (String category : concat(POSITIVES, NEAR_MISSES)) {
			rates.put(category, rate(category, pair -> pair.category().equals(category), served));
		}
		rates.put("all near-misses", rate("all near-misses", pair -> !pair.same(), served));
		rates.put("all positives", rate("all positives", Pair::same, served));
		return rates;
	}

	private Rate rate(String name, Predicate<Pair> member, Predicate<Pair> served) {
		int of = 0;
		int count = 0;
		for (Pair pair : pairs) {
			if (member.test(pair)) {
				of++;
				count += served.test(pair) ? 1 : 0;
			}
		}
		return new Rate(name, count, of);
	}

	private static List<String> concat(List<String> a, List<String> b) {
		List<String> all = new ArrayList<>(a);
		all.addAll(b);
		return all;
	}

}
