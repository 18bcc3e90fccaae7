package dev.spillway.gateway.observability;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.limit.api.TenantLimitsReport;
import dev.spillway.gateway.pricing.api.Prices;
import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.AnswerSource;
import dev.spillway.gateway.request.EndedAnswer;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.http.HttpStatusCode;

/**
 * Tokens, cost and outcomes per tenant and model, and time to first token per pool and model. Tag values come from
 * the configuration (tenants, pools, models named in pools, tiers and prices); any other model name is tagged
 * {@value #OTHER_MODEL}, so a client cannot grow the number of series.
 */
class UsageMetrics implements AnswerCompletion {

	/** Tag value for models the configuration does not name. */
	static final String OTHER_MODEL = "other";

	private final MeterRegistry registry;

	private final Set<String> knownModels = new HashSet<>();

	private final Prices prices;

	private final MeterCache<MeterKey> meters = new MeterCache<>();

	/** @param limits the limits' report, or {@code null} without limits */
	UsageMetrics(MeterRegistry registry, Pools pools, Prices prices, TenantLimitsReport limits) {
		this.registry = registry;
		this.prices = prices;
		pools.all().values().forEach(pool -> knownModels.addAll(pool.models()));
		knownModels.addAll(prices.pricedModels());
		if (limits != null) {
			knownModels.addAll(limits.limitedModels());
		}
	}

	@Override
	public void bodyEnded(EndedAnswer answer) {
		LlmExchange llm = answer.llm();
		long promptTokens = answer.promptTokens();
		long completionTokens = answer.completionTokens();
		LlmRequest request = llm.request();
		String tenant = llm.tenant() == null ? "anonymous" : llm.tenant();
		String model = modelTag(request == null ? null : request.model());
		String outcome = outcome(answer);
		meter(new MeterKey("spillway.requests", tenant, model, outcome), () -> Counter.builder("spillway.requests")
			.description("Requests on Spillway routes by outcome")
			.tag("tenant", tenant)
			.tag("model", model)
			.tag("outcome", outcome)
			.register(registry)).increment();
		if (promptTokens > 0) {
			tokens(tenant, model, "prompt").increment(promptTokens);
		}
		if (completionTokens > 0) {
			tokens(tenant, model, "completion").increment(completionTokens);
		}
		double cost = promptTokens + completionTokens > 0
				? prices.cost(request == null ? null : request.model(), promptTokens, completionTokens) : -1;
		if (cost >= 0) {
			meter(new MeterKey("spillway.cost", tenant, model, null), () -> Counter.builder("spillway.cost")
				.description("Cost of the tokens used, from spillway.pricing")
				.tag("tenant", tenant)
				.tag("model", model)
				.register(registry))
				.increment(cost);
		}
		Answer usage = llm.answer();
		if (usage != null && usage.firstTokenNanos() != 0 && request != null && request.stream()) {
			String pool = llm.pool();
			this.<Timer>meter(new MeterKey("spillway.time.to.first.token", pool, model, null),
					() -> Timer.builder("spillway.time.to.first.token")
						.description("Time from the request's arrival to the first streamed content token")
						.tag("pool", pool)
						.tag("model", model)
						.publishPercentileHistogram()
						.register(registry))
				.record(usage.firstTokenNanos() - llm.startNanos(), TimeUnit.NANOSECONDS);
		}
	}

	/** Tokens this instance has counted for a tenant, by type, since it started. */
	Map<String, Double> tokensUsed(String tenant) {
		double prompt = registry.find("spillway.tokens").tag("tenant", tenant).tag("type", "prompt").counters()
			.stream().mapToDouble(Counter::count).sum();
		double completion = registry.find("spillway.tokens").tag("tenant", tenant).tag("type", "completion").counters()
			.stream().mapToDouble(Counter::count).sum();
		double cost = registry.find("spillway.cost").tag("tenant", tenant).counters().stream()
			.mapToDouble(Counter::count).sum();
		return Map.of("promptTokens", prompt, "completionTokens", completion, "cost", cost);
	}

	private Counter tokens(String tenant, String model, String type) {
		return meter(new MeterKey("spillway.tokens", tenant, model, type), () -> Counter.builder("spillway.tokens")
			.description("Tokens used, as the backend reported them (or counted when it could not)")
			.tag("tenant", tenant)
			.tag("model", model)
			.tag("type", type)
			.register(registry));
	}

	private <M extends Meter> M meter(MeterKey key, Supplier<M> register) {
		return meters.get(key, register);
	}

	private record MeterKey(String name, String first, String second, String third) {
	}

	String modelTag(String model) {
		return model != null && knownModels.contains(model) ? model : OTHER_MODEL;
	}

	/** The request's outcome as metrics and the request log name it. */
	static String outcome(EndedAnswer answer) {
		if (answer.llm().upstreamFailed()) {
			return "upstream_failed";
		}
		if (answer.llm().answerSource() == AnswerSource.JOB_QUEUE) {
			return "queued";
		}
		if (answer.end() == EndedAnswer.End.CANCELLED) {
			return "cancelled";
		}
		HttpStatusCode status = answer.status();
		if (status == null) {
			return "unknown";
		}
		if (status.value() == 429) {
			return "rate_limited";
		}
		return status.is2xxSuccessful() ? "success" : status.is4xxClientError() ? "client_error" : "server_error";
	}

	@Override
	public int getOrder() {
		return METRICS;
	}

}
