package dev.spillway.gateway.request;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.knuddels.jtokkit.api.Encoding;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.wire.LlmOperation;

/**
 * Cost of counting a prompt of about 1,000 tokens with the real tokenizer: plain text in both encodings, and a
 * whole chat request (messages, per-message overhead) as admission counts it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenCountingBenchmark {

	private final TokenCounter counter = new TokenCounter(Map.of());

	private Encoding o200k;

	private Encoding cl100k;

	private String text;

	private ObjectNode chat;

	@Setup
	public void setUp() {
		o200k = counter.encoding(null, "gpt-4o");
		cl100k = counter.encoding(null, "gpt-4");
		StringBuilder prose = new StringBuilder();
		String[] words = ("The gateway keeps every tenant within its budget while the deployments behind it take "
				+ "turns, spilling from provisioned throughput to pay as you go when the first is busy, and it "
				+ "counts what each answer really cost. ").split(" ");
		for (int i = 0; o200k.countTokensOrdinary(prose.toString()) < 1000; i++) {
			prose.append(words[i % words.length]).append(i % 17 == 0 ? ". " : " ");
		}
		text = prose.toString();
		JsonMapper json = JsonMapper.builder().build();
		chat = json.createObjectNode().put("model", "gpt-4o");
		chat.putArray("messages")
			.add(json.createObjectNode().put("role", "system").put("content", "You are a helpful assistant."))
			.add(json.createObjectNode().put("role", "user").put("content", text));
	}

	@Benchmark
	public int o200kThousandTokens() {
		return o200k.countTokensOrdinary(text);
	}

	@Benchmark
	public int cl100kThousandTokens() {
		return cl100k.countTokensOrdinary(text);
	}

	@Benchmark
	public long chatRequestOfAThousandTokens() {
		return counter.promptTokens(o200k, LlmOperation.CHAT_COMPLETIONS, chat);
	}

}
