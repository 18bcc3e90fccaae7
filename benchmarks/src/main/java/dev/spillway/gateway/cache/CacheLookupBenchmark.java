package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The semantic cache's search (this instance's Lucene HNSW index, 384-dimensional unit vectors, all entries in
 * one partition: the worst case) at 1,000, 10,000 and 100,000 entries, one embedding with the local model, and the
 * second check of a candidate and the exact key's normalisation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = "-Xmx4g")
public class CacheLookupBenchmark {

	@Param({ "1000", "10000", "100000" })
	public int entries;

	private VectorIndex index;

	private float[][] queries;

	private int next;

	@Setup(Level.Trial)
	public void fill() {
		SplittableRandom random = new SplittableRandom(42);
		index = new VectorIndex(entries + 1);
		long expires = System.currentTimeMillis() + 3_600_000;
		for (int i = 0; i < entries; i++) {
			index.add("entry-" + i, "partition", "question " + i, vector(random), expires);
		}
		index.refresh();
		queries = new float[256][];
		for (int i = 0; i < queries.length; i++) {
			queries[i] = vector(random);
		}
	}

	@TearDown(Level.Trial)
	public void close() throws Exception {
		index.close();
	}

	@Benchmark
	public Object search() {
		float[] query = queries[next++ & 255];
		return index.search("partition", query, 3, System.currentTimeMillis());
	}

	private static float[] vector(SplittableRandom random) {
		float[] vector = new float[384];
		for (int i = 0; i < vector.length; i++) {
			vector[i] = (float) random.nextGaussian();
		}
		return EmbeddingModel.normalise(vector);
	}

	/** One embedding of a short question with the local all-MiniLM-L6-v2 model. */
	@State(Scope.Benchmark)
	@BenchmarkMode(Mode.AverageTime)
	@OutputTimeUnit(TimeUnit.MILLISECONDS)
	@Warmup(iterations = 3, time = 2)
	@Measurement(iterations = 5, time = 2)
	@Fork(1)
	public static class Embedding {

		private LocalEmbeddingModel model;

		@Setup(Level.Trial)
		public void load() {
			model = new LocalEmbeddingModel(1, 16, Duration.ofSeconds(30));
			model.embedNow("warm up");
		}

		@TearDown(Level.Trial)
		public void close() {
			model.destroy();
		}

		@Benchmark
		public float[] embedShortQuestion() {
			return model.embedNow("How do I reset the password of my account?");
		}

	}

	/** The second check of one candidate, and the normalisation of the question for the exact key. */
	@State(Scope.Benchmark)
	@BenchmarkMode(Mode.AverageTime)
	@OutputTimeUnit(TimeUnit.MICROSECONDS)
	@Warmup(iterations = 3, time = 1)
	@Measurement(iterations = 5, time = 1)
	@Fork(1)
	public static class SecondCheck {

		static final String PASSAGE = "The quarterly report shows revenue rising in every region except the north, where two "
				+ "stores closed in March and a third moved to a smaller site; costs fell by 4 % after the new supplier "
				+ "contract, and the board expects the trend to hold through the autumn.";

		@Benchmark
		public boolean shortQuestion() {
			return QuestionCheck.agree("How can I change the password of my account?",
					"How do I reset my account's password?");
		}

		@Benchmark
		public boolean instructionWithAPassage() {
			return QuestionCheck.agree("Summarise this in two sentences: " + PASSAGE,
					"Give me a two-sentence summary of the following: " + PASSAGE);
		}

		@Benchmark
		public String normaliseQuestion() {
			return QuestionText.normalised("  What is the Capital City of France?  ");
		}

	}

}
