package dev.spillway.gateway.observability;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import dev.spillway.gateway.core.BackendProperties.BackendType;
import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.wire.LlmOperation;

/**
 * The OpenTelemetry semantic conventions for generative AI clients, as Micrometer meters (so Boot's usual exporters —
 * OTLP, Prometheus — publish them): {@code gen_ai.client.token.usage}, {@code gen_ai.client.operation.duration},
 * {@code gen_ai.server.time_to_first_token} and {@code gen_ai.server.time_per_output_token}, with the convention's
 * bucket boundaries and attributes, and Spillway's own (tenant, pool, backend, where the answer came from). Every tag
 * value is bounded: tenants, pools, backends and request models come from the configuration (other models are
 * {@value UsageMetrics#OTHER_MODEL}); response models are the first {@value #MAX_RESPONSE_MODELS} names backends gave.
 */
final class GenAiMetrics implements AnswerCompletion {

	static final int MAX_RESPONSE_MODELS = 64;

	private static final double[] TOKEN_BUCKETS = { 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
			4194304, 16777216, 67108864 };

	private static final Duration[] OPERATION_BUCKETS = seconds(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56,
			5.12, 10.24, 20.48, 40.96, 81.92);

	private static final Duration[] FIRST_TOKEN_BUCKETS = seconds(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
			0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

	private static final Duration[] OUTPUT_TOKEN_BUCKETS = seconds(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4,
			0.5, 0.75, 1.0, 2.5);

	private final MeterRegistry registry;

	private final UsageMetrics usage;

	private final Set<String> responseModels = ConcurrentHashMap.newKeySet();

	private final MeterCache<Series> meters = new MeterCache<>();

	/** @param usage names models as Spillway's own meters do (configured ones, else "other") */
	GenAiMetrics(MeterRegistry registry, UsageMetrics usage) {
		this.registry = registry;
		this.usage = usage;
	}

	@Override
	public void bodyEnded(EndedAnswer answer) {
		LlmExchange llm = answer.llm();
		LlmRequest request = llm.request();
		String operation = request == null ? null : operationName(request.operation());
		if (operation == null) {
			return;
		}
		Answer read = llm.answer();
		Attributes attributes = new Attributes(operation, provider(llm), usage.modelTag(request.model()),
				responseModel(read == null ? null : read.model()), llm.tenant() == null ? "anonymous" : llm.tenant(),
				String.valueOf(llm.pool()), llm.backend() == null ? "none" : llm.backend().id(),
				llm.answerSource().name().toLowerCase(java.util.Locale.ROOT));
		if (answer.promptTokens() > 0) {
			tokens(attributes, "input").record(answer.promptTokens());
		}
		if (answer.completionTokens() > 0) {
			tokens(attributes, "output").record(answer.completionTokens());
		}
		long now = System.nanoTime();
		String error = errorType(answer);
		// error.type on every series ("none" on success): Prometheus wants one set of tag keys per meter name.
		timer("gen_ai.client.operation.duration", "GenAI operation duration", OPERATION_BUCKETS, attributes,
				"error.type", error == null ? "none" : error)
			.record(now - llm.startNanos(), TimeUnit.NANOSECONDS);
		long firstToken = read == null ? 0 : read.firstTokenNanos();
		if (firstToken != 0 && request.stream()) {
			timer("gen_ai.server.time_to_first_token", "Time to generate the first token", FIRST_TOKEN_BUCKETS,
					attributes, null, null)
				.record(firstToken - llm.startNanos(), TimeUnit.NANOSECONDS);
			if (answer.completionTokens() > 1) {
				timer("gen_ai.server.time_per_output_token", "Time per output token after the first",
						OUTPUT_TOKEN_BUCKETS, attributes, null, null)
					.record((now - firstToken) / (answer.completionTokens() - 1), TimeUnit.NANOSECONDS);
			}
		}
	}

	/** The attributes every GenAI meter of a request carries. */
	private record Attributes(String operation, String provider, String requestModel, String responseModel,
			String tenant, String pool, String backend, String source) {

		Tags tags() {
			return Tags.of("gen_ai.operation.name", operation, "gen_ai.provider.name", provider, "gen_ai.request.model",
					requestModel, "gen_ai.response.model", responseModel, "spillway.tenant", tenant, "spillway.pool", pool,
					"spillway.backend", backend, "spillway.answer.source", source);
		}

	}

	/** One series: a meter name, the common attributes, and at most one more tag. */
	private record Series(String name, Attributes attributes, String key, String value) {

		Tags tags() {
			return key == null ? attributes.tags() : attributes.tags().and(key, value);
		}

	}

	/** The convention's operation name; {@code null} for what is not a model call (a stored response read). */
	static String operationName(LlmOperation operation) {
		return switch (operation) {
			case CHAT_COMPLETIONS, RESPONSES -> "chat";
			case COMPLETIONS -> "text_completion";
			case EMBEDDINGS -> "embeddings";
			case STORED_RESPONSE -> null;
		};
	}

	/** The convention's provider name of the backend that answered; {@code spillway} when none did (a cache hit). */
	private static String provider(LlmExchange llm) {
		if (llm.backend() == null) {
			return "spillway";
		}
		return llm.backend().type() == BackendType.AZURE ? "azure.ai.openai" : "openai";
	}

	private String responseModel(String model) {
		if (model == null) {
			return "none";
		}
		if (responseModels.contains(model) || responseModels.size() < MAX_RESPONSE_MODELS && responseModels.add(model)) {
			return model;
		}
		return UsageMetrics.OTHER_MODEL;
	}

	/** The convention's {@code error.type}: the status, or what cut the answer; {@code null} on success. */
	private static String errorType(EndedAnswer answer) {
		if (answer.llm().upstreamFailed()) {
			return "upstream_failed";
		}
		if (answer.end() == EndedAnswer.End.CANCELLED) {
			return "cancelled";
		}
		return answer.status() == null || answer.status().is2xxSuccessful() ? null
				: Integer.toString(answer.status().value());
	}

	private DistributionSummary tokens(Attributes attributes, String type) {
		Series series = new Series("gen_ai.client.token.usage", attributes, "gen_ai.token.type", type);
		return meters.get(series, () -> DistributionSummary.builder(series.name())
			.description("Number of input and output tokens used")
			.tags(series.tags())
			.serviceLevelObjectives(TOKEN_BUCKETS)
			.register(registry));
	}

	private Timer timer(String name, String description, Duration[] buckets, Attributes attributes, String key,
			String value) {
		Series series = new Series(name, attributes, key, value);
		return meters.get(series, () -> Timer.builder(name)
			.description(description)
			.tags(series.tags())
			.serviceLevelObjectives(buckets)
			.register(registry));
	}

	private static Duration[] seconds(double... values) {
		Duration[] durations = new Duration[values.length];
		for (int i = 0; i < values.length; i++) {
			durations[i] = Duration.ofNanos((long) (values[i] * 1e9));
		}
		return durations;
	}

	@Override
	public int getOrder() {
		return METRICS;
	}

}
