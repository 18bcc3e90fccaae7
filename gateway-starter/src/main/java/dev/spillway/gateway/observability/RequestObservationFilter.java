package dev.spillway.gateway.observability;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmObservations;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * One observation per client request on a Spillway route — a span named as the GenAI conventions name it
 * ({@code chat gpt-4o}), a child of the server's request span, with the request id, tenant, pool, the model asked for
 * and answered, the tokens used and the finish reason; each backend attempt is a child of it (see routing), so a
 * failover shows in the trace. Stopped when the response has ended, however it ended.
 */
final class RequestObservationFilter implements GlobalFilter, Ordered {

	private final ObservationRegistry registry;

	RequestObservationFilter(ObservationRegistry registry) {
		this.registry = registry;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null || registry.isNoop()) {
			return chain.filter(exchange);
		}
		return Mono.deferContextual(context -> {
			Observation parent = context.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
			Observation observation = Observation.createNotStarted("spillway.request", registry)
				.parentObservation(parent)
				.contextualName("spillway request")
				.highCardinalityKeyValue("spillway.request_id", llm.requestId())
				.start();
			llm.put(LlmObservations.REQUEST, observation);
			return chain.filter(exchange).doOnError(observation::error).doFinally(signal -> {
				describe(observation, llm, exchange.getResponse().getStatusCode());
				observation.stop();
			});
		});
	}

	/**
	 * The GenAI attributes, known once the answer has ended. The same low-cardinality keys every time (a meter
	 * registry such as Prometheus's wants one set of tags per name), with {@code none} for what does not apply.
	 */
	private static void describe(Observation observation, LlmExchange llm, HttpStatusCode status) {
		LlmRequest request = llm.request();
		String operation = request == null ? null : GenAiMetrics.operationName(request.operation());
		observation.lowCardinalityKeyValue("spillway.pool", String.valueOf(llm.pool()))
			.lowCardinalityKeyValue("spillway.tenant", llm.tenant() == null ? "anonymous" : llm.tenant())
			.lowCardinalityKeyValue("spillway.backend", llm.backend() == null ? "none" : llm.backend().id())
			.lowCardinalityKeyValue("gen_ai.operation.name", operation == null ? "none" : operation)
			.lowCardinalityKeyValue("http.response.status_code", status == null ? "none" : Integer.toString(status.value()))
			.highCardinalityKeyValue("spillway.attempts", Integer.toString(llm.attempts()));
		if (operation == null) {
			return;
		}
		observation.contextualName(operation + " " + request.model())
			.highCardinalityKeyValue("gen_ai.request.model", String.valueOf(request.model()));
		Answer answer = llm.answer();
		if (answer == null) {
			return;
		}
		if (answer.model() != null) {
			observation.highCardinalityKeyValue("gen_ai.response.model", answer.model());
		}
		if (answer.finishReason() != null) {
			observation.highCardinalityKeyValue("gen_ai.response.finish_reasons", answer.finishReason());
		}
		if (answer.hasUsage()) {
			observation.highCardinalityKeyValue("gen_ai.usage.input_tokens", Long.toString(answer.promptTokens()))
				.highCardinalityKeyValue("gen_ai.usage.output_tokens", Long.toString(answer.completionTokens()));
		}
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.OBSERVATION;
	}

}
