package dev.spillway.gateway.routing;

import java.util.List;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.routing.RoutingProperties.Conditions;
import dev.spillway.gateway.routing.RoutingProperties.RoutingRule;
import dev.spillway.gateway.wire.LlmOperation;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Cost-aware model routing: the first rule whose conditions hold (task header, tenant tier, requested model, route's
 * pool, prompt size) sends the request to its pool and model — e.g. {@code classify} to a mini model. Runs before
 * limits and the cache, so both see the model that will really answer.
 */
class ModelRoutingFilter implements GlobalFilter, Ordered {

	/** Request header naming the task, for routing rules. Not forwarded upstream. */
	public static final String TASK_HEADER = "x-spillway-task";

	private final List<RoutingRule> rules;

	private final Pools pools;

	ModelRoutingFilter(List<RoutingRule> rules, Pools pools) {
		this.rules = List.copyOf(rules);
		this.pools = pools;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		// A stored response's pool is where it was stored (see the responses capability), not a rule's choice.
		if (llm == null || llm.request() == null || rules.isEmpty()
				|| llm.request().operation() == LlmOperation.STORED_RESPONSE) {
			return chain.filter(exchange);
		}
		String task = exchange.getRequest().getHeaders().getFirst(TASK_HEADER);
		for (RoutingRule rule : rules) {
			if (matches(rule.getWhen(), llm, task)) {
				String model = rule.getModel() != null ? rule.getModel() : llm.request().model();
				// A rule without a model keeps the client's name: the target pool's allow-list must still hold.
				if (!pools.accepts(rule.getPool(), model)) {
					return ErrorResponses.write(exchange, OpenAiError.modelNotFound(model));
				}
				llm.reroute(rule.getPool(), rule.getModel());
				break;
			}
		}
		return chain.filter(exchange);
	}

	private boolean matches(Conditions when, LlmExchange llm, String task) {
		LlmRequest request = llm.request();
		if (when.getTask() != null && !when.getTask().equalsIgnoreCase(task)) {
			return false;
		}
		if (when.getTier() != null && !when.getTier().equals(llm.tier())) {
			return false;
		}
		if (when.getModel() != null && !when.getModel().equals(request.model())) {
			return false;
		}
		if (when.getPool() != null && !when.getPool().equals(llm.pool())) {
			return false;
		}
		if (when.getMaxPromptTokens() != null && request.promptTokens() > when.getMaxPromptTokens()) {
			return false;
		}
		return when.getMinPromptTokens() == null || request.promptTokens() >= when.getMinPromptTokens();
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.MODEL_ROUTING;
	}

}
