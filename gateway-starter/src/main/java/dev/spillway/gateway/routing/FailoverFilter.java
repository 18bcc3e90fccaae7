package dev.spillway.gateway.routing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import reactor.core.publisher.Mono;
import reactor.netty.Connection;

import dev.spillway.gateway.SpillwayFilterOrders;
import dev.spillway.gateway.config.SpillwayProperties;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.error.RetrySpread;
import dev.spillway.gateway.observability.RoutingMetrics;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.ModelNames;
import dev.spillway.gateway.routing.BackendPlanner.Plan;
import dev.spillway.gateway.routing.BackendPlanner.Throttled;
import dev.spillway.gateway.routing.BackendPlanner.Unavailable;
import dev.spillway.gateway.routing.BackendPlanner.Use;
import dev.spillway.gateway.routing.BackendPlanner.Wait;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

/**
 * Wraps the rest of the chain (load balancer, backend call) for Spillway requests and decides, attempt by
 * attempt, where the request goes. A 429 throttles the backend (shared with every instance) and the request moves
 * on; a configured 5xx, a connection failure or a response-header timeout counts against the backend's circuit
 * and the request moves on; the client sees none of it. A preferred backend that recovers within the spill
 * budget is waited for. All of this happens before the first byte reaches the client: the body is written by
 * {@code NettyWriteResponseFilter} only after this filter has settled on an answer, so a stream is never retried
 * after it started. When no backend can take the request, the client gets one 429 with the earliest recovery
 * ({@code Retry-After}, {@code retry-after-ms}), or 503 when every circuit is open.
 */
public class FailoverFilter implements GlobalFilter, Ordered {

	/** Request header that lowers the pool's spill budget for one call, in milliseconds. */
	public static final String MAX_WAIT_HEADER = "x-spillway-max-wait";

	/** Response header naming the backend that served. */
	public static final String BACKEND_HEADER = "x-spillway-backend";

	/** Response header naming the model (or Azure deployment) that served. */
	public static final String MODEL_HEADER = "x-spillway-model";

	private static final String REMAINING_TOKENS = "x-ratelimit-remaining-tokens";

	private static final String REMAINING_REQUESTS = "x-ratelimit-remaining-requests";

	private static final String LIMIT_TOKENS = "x-ratelimit-limit-tokens";

	/** How long a learned request-size limit is trusted before the backend is tried with a large request again. */
	private static final Duration LEARNED_LIMIT_TTL = Duration.ofMinutes(10);

	private final PoolRegistry pools;

	private final SharedThrottles throttles;

	private final ThrottleDurations durations;

	private final SpillwayProperties.Routing routing;

	private final RoutingMetrics metrics;

	private final Clock clock;

	private final RetrySpread spread;

	/** @param clock what "now" is when throttles are set and plans are made, so tests can stop it */
	public FailoverFilter(PoolRegistry pools, SharedThrottles throttles, SpillwayProperties.Routing routing,
			RoutingMetrics metrics, Clock clock) {
		this.clock = clock;
		this.spread = new RetrySpread(clock, routing.getRetrySpread());
		this.pools = pools;
		this.throttles = throttles;
		this.routing = routing;
		this.metrics = metrics;
		SpillwayProperties.Throttle throttle = routing.getThrottle();
		this.durations = new ThrottleDurations(throttle.getDefaultDuration(), throttle.getMinDuration(),
				throttle.getMaxDuration());
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null || llm.request() == null) {
			return chain.filter(exchange);
		}
		Attempts attempts = new Attempts(llm, exchange.getRequest().getHeaders().getFirst(MAX_WAIT_HEADER));
		return attempt(exchange, chain, attempts, attempts.plan());
	}

	private Mono<Void> attempt(ServerWebExchange exchange, GatewayFilterChain chain, Attempts attempts, Plan plan) {
		LlmExchange llm = attempts.llm;
		if (plan instanceof Use use) {
			BackendInstance backend = use.backend();
			if (!backend.state().breaker().tryAcquirePermission()) {
				attempts.excluded.add(backend);
				return attempt(exchange, chain, attempts, attempts.plan());
			}
			llm.plannedBackend(backend);
			BackendCall call = new BackendCall(backend);
			return chain.filter(exchange)
				.thenReturn(Optional.<Throwable>empty())
				.onErrorResume(failure -> Mono.just(Optional.of(failure)))
				.flatMap(failure -> failure.isPresent() ? afterFailure(exchange, chain, attempts, call, failure.get())
						: afterResponse(exchange, chain, attempts, call));
		}
		if (plan instanceof Wait wait) {
			Duration pause = Duration.ofMillis(wait.millis());
			metrics.waited(llm.pool(), pause);
			// The delay ends on one of Reactor's timer threads: the next attempt starts on the connection's event loop.
			return EventLoops.resumeOnLoop(exchange, Mono.delay(pause))
				.then(Mono.defer(() -> attempt(exchange, chain, attempts, attempts.plan())));
		}
		if (!(plan instanceof Use) && attempts.mayRetry() && attempts.fallBackTo(attempts.pool().getFallback())) {
			metrics.failover(llm.pool(), "-", "fallback_pool");
			return attempt(exchange, chain, attempts, attempts.plan());
		}
		if (plan instanceof Throttled throttled) {
			return reject(exchange, llm.pool(), HttpStatus.TOO_MANY_REQUESTS, throttled.retryAfterMillis());
		}
		if (plan instanceof Unavailable unavailable) {
			return reject(exchange, llm.pool(), HttpStatus.SERVICE_UNAVAILABLE, unavailable.retryAfterMillis());
		}
		long largest = attempts.largestKnownRequest();
		if (largest >= 0) {
			return tooLarge(exchange, llm.pool(), largest, llm.request().estimatedTokens());
		}
		return reject(exchange, llm.pool(), HttpStatus.SERVICE_UNAVAILABLE, 1000);
	}

	private Mono<Void> afterResponse(ServerWebExchange exchange, GatewayFilterChain chain, Attempts attempts,
			BackendCall call) {
		ServerHttpResponse response = exchange.getResponse();
		Connection connection = exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR);
		if (connection == null) {
			call.released();
			return Mono.empty();
		}
		BackendInstance backend = call.backend();
		HttpStatusCode status = response.getStatusCode();
		int code = status == null ? 200 : status.value();
		long now = clock.millis();
		long remainingBefore = backend.state().remainingTokens();
		rememberRemainingTokens(backend, response.getHeaders(), now);
		rememberRequestLimit(backend, response.getHeaders(), now);
		if (code == HttpStatus.TOO_MANY_REQUESTS.value()) {
			call.released();
			HttpHeaders headers = HttpHeaders.readOnlyHttpHeaders(response.getHeaders());
			long estimate = attempts.llm.request().estimatedTokens();
			learnTooLarge(backend, headers, remainingBefore, estimate, now);
			attempts.throttledOnce(backend);
			return errorBody(connection).flatMap(body -> {
				if (!backend.state().canEverTake(now, estimate)) {
					// The request, not the backend, is the problem: its wait must not bench it for everyone else.
					attempts.excluded.add(backend);
					return next(exchange, chain, attempts, backend, "too_large");
				}
				boolean quota = body.contains("insufficient_quota");
				String reason = quota ? "quota_exhausted" : "rate_limited";
				Duration wait = quota ? routing.getThrottle().getQuotaExhaustedDuration() : durations.of(headers, now);
				throttles.throttle(backend, now + wait.toMillis(), reason);
				metrics.throttled(backend.pool(), backend.id(), reason);
				return next(exchange, chain, attempts, backend, reason);
			});
		}
		SpillwayProperties.Fallback contextFallback = attempts.pool().getContextFallback();
		if (code == HttpStatus.BAD_REQUEST.value() && contextFallback != null && attempts.mayRetry()) {
			return contextFallback(exchange, chain, attempts, call, connection, contextFallback);
		}
		if (routing.getFailoverStatuses().contains(code)) {
			call.failed(new ResponseStatusException(status));
			attempts.excluded.add(backend);
			Plan plan = attempts.plan();
			if (attempts.mayRetry() && (plan instanceof Use || plan instanceof Wait)) {
				metrics.failover(backend.pool(), backend.id(), "status_" + code);
				ServerWebExchangeUtils.reset(exchange);
				response.setStatusCode(null);
				return attempt(exchange, chain, attempts, plan);
			}
			markServedBy(response, backend, attempts.llm);
			return Mono.empty();
		}
		attempts.llm.backendCall(call);
		markServedBy(response, backend, attempts.llm);
		return Mono.empty();
	}

	/**
	 * A 400 from a pool with a context fallback: read its body; {@code context_length_exceeded} sends the request to
	 * the larger-context pool, anything else goes to the client as it was.
	 */
	private Mono<Void> contextFallback(ServerWebExchange exchange, GatewayFilterChain chain, Attempts attempts,
			BackendCall call, Connection connection, SpillwayProperties.Fallback fallback) {
		call.succeeded();
		ServerHttpResponse response = exchange.getResponse();
		return errorBody(connection).flatMap(body -> {
			String pool = attempts.llm.pool();
			if (body.contains("context_length_exceeded") && attempts.fallBackTo(fallback)) {
				metrics.failover(pool, call.backend().id(), "context_length_exceeded");
				ServerWebExchangeUtils.reset(exchange);
				response.setStatusCode(null);
				return attempt(exchange, chain, attempts, attempts.plan());
			}
			// The body was read to look at it: write it ourselves, and keep NettyWriteResponseFilter away.
			exchange.getAttributes().remove(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR);
			connection.dispose();
			byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
			response.getHeaders().setContentLength(bytes.length);
			markServedBy(response, call.backend(), attempts.llm);
			return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
		});
	}

	/** After a 429: try elsewhere (or wait) while the request may, else answer with the earliest recovery. */
	private Mono<Void> next(ServerWebExchange exchange, GatewayFilterChain chain, Attempts attempts,
			BackendInstance throttled, String reason) {
		ServerWebExchangeUtils.reset(exchange);
		exchange.getResponse().setStatusCode(null);
		Plan plan = attempts.plan();
		if (attempts.mayRetry()) {
			if (plan instanceof Use use && use.backend() != throttled) {
				metrics.failover(throttled.pool(), throttled.id(), reason);
			}
			else if (plan instanceof Use || plan instanceof Wait) {
				metrics.retried(throttled.pool(), throttled.id(), reason);
			}
			return attempt(exchange, chain, attempts, plan);
		}
		long retryAfter = plan instanceof Throttled t ? t.retryAfterMillis() : 1000;
		return reject(exchange, attempts.llm.pool(), HttpStatus.TOO_MANY_REQUESTS, retryAfter);
	}

	private Mono<Void> afterFailure(ServerWebExchange exchange, GatewayFilterChain chain, Attempts attempts,
			BackendCall call, Throwable failure) {
		if (!isUpstreamFailure(failure) || exchange.getResponse().isCommitted()) {
			call.released();
			return Mono.error(failure);
		}
		BackendInstance backend = call.backend();
		call.failed(failure);
		attempts.excluded.add(backend);
		ServerWebExchangeUtils.reset(exchange);
		exchange.getResponse().setStatusCode(null);
		Plan plan = attempts.plan();
		if (attempts.mayRetry() && (plan instanceof Use || plan instanceof Wait)) {
			metrics.failover(backend.pool(), backend.id(), failure instanceof ResponseStatusException ? "timeout"
					: "connection");
			return attempt(exchange, chain, attempts, plan);
		}
		if (plan instanceof Throttled || plan instanceof Unavailable) {
			return attempt(exchange, chain, attempts, plan);
		}
		return Mono.error(failure);
	}

	private Mono<Void> reject(ServerWebExchange exchange, String pool, HttpStatus status, long retryAfterMillis) {
		boolean throttled = status == HttpStatus.TOO_MANY_REQUESTS;
		// How much room a recovered backend has is unknown here: refusals are spread evenly over the bound.
		long advised = throttled ? spread.advise("pool:" + pool, retryAfterMillis, 0) : retryAfterMillis;
		long seconds = ErrorResponses.retryAfter(exchange.getResponse().getHeaders(), advised);
		metrics.rejected(pool, throttled ? "throttled" : "circuits_open");
		String message = throttled
				? "Every backend of pool '" + pool + "' is throttled. Retry after " + seconds + " s."
				: "Every backend of pool '" + pool + "' is unavailable. Retry after " + seconds + " s.";
		return ErrorResponses.write(exchange, new OpenAiError(status, throttled ? "requests" : OpenAiError.SERVER_ERROR,
				throttled ? "rate_limit_exceeded" : "backends_unavailable", message, null));
	}

	/** No backend of the pool can ever take a request this large: say so, as OpenAI does, instead of "throttled". */
	private Mono<Void> tooLarge(ServerWebExchange exchange, String pool, long largest, long requested) {
		metrics.rejected(pool, "too_large");
		return ErrorResponses.write(exchange, new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "tokens",
				"rate_limit_exceeded", "Request too large for every backend of pool '" + pool + "': the largest takes "
						+ largest + " tokens per request, this one needs " + requested
						+ ". Lower max_tokens or the prompt.", null));
	}

	private void markServedBy(ServerHttpResponse response, BackendInstance backend, LlmExchange llm) {
		if (routing.isBackendHeader()) {
			response.getHeaders().set(BACKEND_HEADER, backend.id());
		}
		SpillwayProperties.Backend config = backend.backend();
		String model = config.getType() == SpillwayProperties.BackendType.OPENAI && config.getModel() != null
				? config.getModel()
				: config.getType() == SpillwayProperties.BackendType.AZURE && config.getDeployment() != null
						? config.getDeployment() : llm.request().model();
		if (model != null) {
			response.getHeaders().set(MODEL_HEADER, model);
		}
	}

	private static void rememberRemainingTokens(BackendInstance backend, HttpHeaders headers, long now) {
		String remaining = headers.getFirst(REMAINING_TOKENS);
		if (remaining == null) {
			return;
		}
		try {
			Duration reset = ThrottleDurations.goDuration(headers.getFirst(ThrottleDurations.RESET_TOKENS));
			backend.state().remainingTokens(Long.parseLong(remaining.trim()),
					now + (reset == null ? 60_000 : reset.toMillis()));
		}
		catch (NumberFormatException ex) {
			// A malformed hint is no hint.
		}
	}

	/**
	 * A backend that reports its per-minute token limit takes no single request above it: share that, so every
	 * instance skips it at once for larger requests.
	 */
	private void rememberRequestLimit(BackendInstance backend, HttpHeaders headers, long now) {
		String limit = headers.getFirst(LIMIT_TOKENS);
		if (limit == null) {
			return;
		}
		try {
			throttles.requestLimit(backend, Long.parseLong(limit.trim()), now + LEARNED_LIMIT_TTL.toMillis());
		}
		catch (NumberFormatException ex) {
			// A malformed hint is no hint.
		}
	}

	/**
	 * A 429 to a request the backend said it had room for (its remaining tokens, before or in this answer, were at
	 * least the request's estimate, and its requests were not what ran out) means the request itself is too large
	 * for it: remember that it takes nothing this large, whatever wait it advised.
	 */
	private void learnTooLarge(BackendInstance backend, HttpHeaders headers, long remainingBefore, long estimate,
			long now) {
		if (estimate <= 1 || "0".equals(trimmed(headers.getFirst(REMAINING_REQUESTS)))) {
			return;
		}
		long remaining = remainingBefore;
		try {
			String reported = headers.getFirst(REMAINING_TOKENS);
			if (reported != null) {
				remaining = Math.max(remaining, Long.parseLong(reported.trim()));
			}
		}
		catch (NumberFormatException ex) {
			// Fall back to what the last answer said.
		}
		if (remaining >= estimate) {
			long known = backend.state().maxRequestTokens(now);
			throttles.requestLimit(backend, known < 0 ? estimate - 1 : Math.min(known, estimate - 1),
					now + LEARNED_LIMIT_TTL.toMillis());
		}
	}

	private static String trimmed(String value) {
		return value == null ? null : value.trim();
	}

	/**
	 * The start of a backend's error answer, to tell a quota error from a rate limit: at most
	 * {@code max-error-body-size} bytes are read, the rest never is (the connection is then closed, not reused).
	 */
	private Mono<String> errorBody(Connection connection) {
		int max = (int) routing.getMaxErrorBodySize().toBytes();
		return Mono.defer(() -> {
			ByteArrayOutputStream read = new ByteArrayOutputStream();
			return connection.inbound()
				.receive()
				.takeUntil(part -> {
					byte[] bytes = new byte[Math.min(part.readableBytes(), max - read.size())];
					part.readBytes(bytes);
					read.write(bytes, 0, bytes.length);
					return read.size() >= max;
				})
				.then(Mono.fromSupplier(() -> read.toString(StandardCharsets.UTF_8)));
		})
			.timeout(Duration.ofSeconds(2))
			.onErrorReturn("")
			.defaultIfEmpty("");
	}

	private static boolean isUpstreamFailure(Throwable failure) {
		if (failure instanceof IOException || failure instanceof TimeoutException) {
			return true;
		}
		return failure instanceof ResponseStatusException status
				&& status.getStatusCode().value() == HttpStatus.GATEWAY_TIMEOUT.value();
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.FAILOVER;
	}

	/** The attempts of one request: what it may still do, and which backends it must not use again. */
	private final class Attempts {

		final LlmExchange llm;

		final Set<BackendInstance> excluded = new HashSet<>(4);

		final Set<String> fallbacksUsed = new HashSet<>(2);

		final Set<BackendInstance> throttledBefore = new HashSet<>(4);

		final int maxAttempts;

		final long deadlineMillis;

		final Long headerBudget;

		BackendSelector selector;

		long waitUntilMillis;

		Attempts(LlmExchange llm, String maxWaitHeader) {
			this.llm = llm;
			SpillwayProperties.Pool pool = pools.pool(llm.pool());
			this.maxAttempts = pool.getMaxAttempts();
			this.deadlineMillis = llm.startMillis() + pool.getDeadline().toMillis();
			Long fromHeader = null;
			if (maxWaitHeader != null) {
				try {
					fromHeader = Math.max(0, Long.parseLong(maxWaitHeader.trim()));
				}
				catch (NumberFormatException ex) {
					// A header that cannot lower the budget leaves it as configured.
				}
			}
			this.headerBudget = fromHeader;
			use(llm.pool(), llm.startMillis());
		}

		private void use(String poolName, long fromMillis) {
			SpillwayProperties.Pool pool = pools.pool(poolName);
			this.selector = pools.selector(poolName);
			long budget = pool.getMaxWait().toMillis();
			if (headerBudget != null) {
				budget = Math.min(budget, headerBudget);
			}
			this.waitUntilMillis = Math.min(fromMillis + budget, deadlineMillis);
		}

		/** Moves the request to a fallback pool, once per fallback; returns whether it did. */
		boolean fallBackTo(SpillwayProperties.Fallback fallback) {
			if (fallback == null || !fallbacksUsed.add(fallback.getPool() + "/" + fallback.getModel())) {
				return false;
			}
			// A fallback without a model keeps the client's name: only where the target pool serves it.
			String model = fallback.getModel() != null ? fallback.getModel() : llm.request().model();
			if (!pools.serves(fallback.getPool(), model) || pools.passesNameAsDeployment(fallback.getPool())
					&& ModelNames.deploymentProblem(model) != null) {
				return false;
			}
			llm.reroute(fallback.getPool(), fallback.getModel());
			excluded.clear();
			use(fallback.getPool(), clock.millis());
			return true;
		}

		SpillwayProperties.Pool pool() {
			return pools.pool(llm.pool());
		}

		/**
		 * A backend answered this request 429: it may be tried once more (when its wait fits the spill budget), a
		 * second 429 takes it out for this request, whatever its hint says.
		 */
		void throttledOnce(BackendInstance backend) {
			if (!throttledBefore.add(backend)) {
				excluded.add(backend);
			}
		}

		/**
		 * When no backend of the pool can ever take this request because of its size: the largest request any of
		 * them takes; else -1.
		 */
		long largestKnownRequest() {
			long now = clock.millis();
			long estimate = llm.request().estimatedTokens();
			long largest = -1;
			for (BackendInstance backend : selector.backends()) {
				long max = backend.state().maxRequestTokens(now);
				if (max < 0 || estimate <= max) {
					return -1;
				}
				largest = Math.max(largest, max);
			}
			return largest;
		}

		Plan plan() {
			return BackendPlanner.plan(selector, clock.millis(), waitUntilMillis,
					llm.request().estimatedTokens(), excluded);
		}

		boolean mayRetry() {
			return llm.attempts() < maxAttempts && clock.millis() < deadlineMillis;
		}

	}

}
