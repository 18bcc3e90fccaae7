package dev.spillway.gateway.routing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClientResponse;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.BackendProperties.BackendType;
import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.error.RetrySpread;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmObservations;
import dev.spillway.gateway.request.Slot;
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
import org.springframework.http.support.Netty4HeadersAdapter;
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
 * ({@code Retry-After}, {@code retry-after-ms}, spread over requests refused together), or 503 when every circuit
 * is open.
 */
class FailoverFilter implements GlobalFilter, Ordered {

	/** Request header that lowers the pool's spill budget for one call, in milliseconds. */
	public static final String MAX_WAIT_HEADER = "x-spillway-max-wait";

	/** Response header naming the backend that served. */
	public static final String BACKEND_HEADER = "x-spillway-backend";

	/** Response header naming the model (or Azure deployment) that served. */
	public static final String MODEL_HEADER = "x-spillway-model";

	/** The backend instance planned for the current attempt: what the load balancer returns. */
	static final Slot<BackendInstance> PLANNED = Slot.named("routing.planned");

	/** The client's exchange as routing got it: a continuation forwards the headers its first attempt did. */
	static final Slot<ServerWebExchange> CLIENT_EXCHANGE = Slot.named("routing.client-exchange");

	/** The call whose answer goes to the client: its circuit-breaker outcome is settled when the body has ended. */
	static final Slot<BackendCall> SERVING_CALL = Slot.named("routing.serving-call");

	private static final List<String> RETRY_HINTS = List.of(HttpHeaders.RETRY_AFTER, OpenAiHeaders.RETRY_AFTER_MS,
			OpenAiHeaders.MS_RETRY_AFTER_MS);

	private final PoolRegistry pools;

	private final SharedThrottles throttles;

	private final BackendHints hints;

	private final AnswerClassifier classifier;

	private final RoutingProperties routing;

	private final RoutingMetrics metrics;

	private final Clock clock;

	private final RetrySpread spread;

	private final ObservationRegistry observations;

	/** @param clock what "now" is when throttles are set and plans are made, so tests can stop it */
	FailoverFilter(PoolRegistry pools, SharedThrottles throttles, RoutingProperties routing, RoutingMetrics metrics,
			Clock clock) {
		this(pools, throttles, routing, metrics, clock, ObservationRegistry.NOOP);
	}

	/** @param observations where each backend attempt is observed, as a child of its request's observation */
	FailoverFilter(PoolRegistry pools, SharedThrottles throttles, RoutingProperties routing, RoutingMetrics metrics,
			Clock clock, ObservationRegistry observations) {
		this.observations = observations;
		this.pools = pools;
		this.throttles = throttles;
		this.hints = new BackendHints(throttles, routing.getHeadroom().shareLevelArray());
		this.routing = routing;
		this.metrics = metrics;
		this.clock = clock;
		this.spread = new RetrySpread(clock, routing.getRetrySpread());
		this.classifier = AnswerClassifier.from(routing);
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null || llm.request() == null) {
			return chain.filter(exchange);
		}
		llm.put(CLIENT_EXCHANGE, exchange);
		Attempts attempts = new Attempts(llm, pools, clock, exchange.getRequest().getHeaders().getFirst(MAX_WAIT_HEADER));
		return attempt(exchange, chain, attempts, attempts.plan());
	}

	/** An observation of one backend call, a child of the request's; {@code null} when the request has none. */
	private Observation attemptObservation(LlmExchange llm, BackendInstance backend) {
		Observation request = llm.get(LlmObservations.REQUEST);
		if (request == null || observations.isNoop()) {
			return null;
		}
		return Observation.createNotStarted("spillway.backend.attempt", observations)
			.parentObservation(request)
			.contextualName("attempt " + backend.id())
			.lowCardinalityKeyValue("spillway.pool", backend.pool())
			.lowCardinalityKeyValue("spillway.backend", backend.id())
			.lowCardinalityKeyValue("gen_ai.provider.name",
					backend.backend().type() == BackendType.AZURE
							? "azure.ai.openai" : "openai")
			.highCardinalityKeyValue("spillway.attempt", Integer.toString(llm.attempts()))
			.start();
	}

	private Mono<Void> attempt(ServerWebExchange exchange, GatewayFilterChain chain, Attempts attempts, Plan plan) {
		LlmExchange llm = attempts.llm;
		if (plan instanceof Use use) {
			BackendInstance backend = use.backend();
			if (!backend.state().breaker().tryAcquirePermission()) {
				attempts.excluded.add(backend);
				return attempt(exchange, chain, attempts, attempts.plan());
			}
			llm.attempt(backend.backend());
			llm.put(PLANNED, backend);
			backend.state().countRequest();
			backend.state().headroom().reserve(llm.request().estimatedTokens());
			BackendCall call = new BackendCall(backend, attemptObservation(llm, backend));
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
		if (attempts.mayRetry() && attempts.fallBackTo(attempts.pool().fallback())) {
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
		HttpHeaders backendHeaders = backendHeaders(exchange);
		hints.remember(backend, backendHeaders, now);
		boolean contextFallback = attempts.pool().contextFallback() != null && attempts.mayRetry();
		if (code == HttpStatus.TOO_MANY_REQUESTS.value()) {
			call.released();
			long estimate = attempts.llm.request().estimatedTokens();
			hints.learnTooLarge(backend, backendHeaders, remainingBefore, estimate, now);
			attempts.throttledOnce(backend);
			if (!backend.state().canEverTake(now, estimate)) {
				// The request, not the backend, is the problem: its wait must not bench it for everyone else.
				attempts.excluded.add(backend);
				return errorBody(connection).then(Mono.defer(() -> next(exchange, chain, attempts, backend, "too_large")));
			}
		}
		if (!classifier.needsBody(code, contextFallback)) {
			return act(exchange, chain, attempts, call,
					classifier.classify(code, backendHeaders, null, contextFallback, now), null);
		}
		return errorBody(connection).flatMap(body -> act(exchange, chain, attempts, call,
				classifier.classify(code, backendHeaders, body, contextFallback, now), body));
	}

	/** Acts on the verdict about an answer; {@code body} is the start of its body when it was read, else null. */
	private Mono<Void> act(ServerWebExchange exchange, GatewayFilterChain chain, Attempts attempts, BackendCall call,
			AnswerClassifier.Verdict verdict, String body) {
		BackendInstance backend = call.backend();
		ServerHttpResponse response = exchange.getResponse();
		long now = clock.millis();
		if (verdict instanceof AnswerClassifier.Throttled throttled) {
			throttles.throttle(backend, now + throttled.backOff().toMillis(), "rate_limited");
			metrics.throttled(backend.pool(), backend.id(), "rate_limited");
			return next(exchange, chain, attempts, backend, "rate_limited");
		}
		if (verdict instanceof AnswerClassifier.QuotaExhausted quota) {
			throttles.throttle(backend, now + quota.backOff().toMillis(), "quota_exhausted");
			metrics.throttled(backend.pool(), backend.id(), "quota_exhausted");
			return next(exchange, chain, attempts, backend, "quota_exhausted");
		}
		if (verdict instanceof AnswerClassifier.ContextTooLong && attempts.fallBackTo(attempts.pool().contextFallback())) {
			call.succeeded();
			backend.state().countSpill();
			metrics.failover(backend.pool(), backend.id(), "context_length_exceeded");
			forgetAttempt(exchange);
			return attempt(exchange, chain, attempts, attempts.plan());
		}
		if (verdict instanceof AnswerClassifier.FailOver failOver) {
			call.failed(new ResponseStatusException(HttpStatusCode.valueOf(failOver.status())));
			attempts.excluded.add(backend);
			Plan plan = attempts.plan();
			if (attempts.mayRetry() && (plan instanceof Use || plan instanceof Wait)) {
				backend.state().countSpill();
				metrics.failover(backend.pool(), backend.id(), "status_" + failOver.status());
				forgetAttempt(exchange);
				return attempt(exchange, chain, attempts, plan);
			}
			markServedBy(response, backend.backend(), attempts.llm);
			return Mono.empty();
		}
		markServedBy(response, backend.backend(), attempts.llm);
		if (body == null) {
			attempts.llm.put(SERVING_CALL, call);
			return Mono.empty();
		}
		// A body read to look at it goes to the client as it was: written here, and NettyWriteResponseFilter is kept
		// away from the connection it was read from.
		call.succeeded();
		Connection connection = exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR);
		exchange.getAttributes().remove(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR);
		if (connection != null) {
			connection.dispose();
		}
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		response.getHeaders().setContentLength(bytes.length);
		return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
	}

	/** After a 429: try elsewhere (or wait) while the request may, else answer with the earliest recovery. */
	private Mono<Void> next(ServerWebExchange exchange, GatewayFilterChain chain, Attempts attempts,
			BackendInstance throttled, String reason) {
		forgetAttempt(exchange);
		Plan plan = attempts.plan();
		if (attempts.mayRetry()) {
			if (plan instanceof Use use && use.backend() != throttled) {
				throttled.state().countSpill();
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
		forgetAttempt(exchange);
		Plan plan = attempts.plan();
		if (attempts.mayRetry() && (plan instanceof Use || plan instanceof Wait)) {
			backend.state().countSpill();
			metrics.failover(backend.pool(), backend.id(), failure instanceof ResponseStatusException ? "timeout"
					: "connection");
			return attempt(exchange, chain, attempts, plan);
		}
		if (plan instanceof Throttled || plan instanceof Unavailable) {
			return attempt(exchange, chain, attempts, plan);
		}
		return Mono.error(failure);
	}

	/**
	 * Readies the exchange for another attempt: Spring Cloud Gateway's routing state is reset, and the failed
	 * attempt's status and retry hints are taken off the response (the next attempt's headers are added to it; a
	 * hint of a failed attempt is not the client's to act on). Its other headers are replaced by the next answer's.
	 */
	private static void forgetAttempt(ServerWebExchange exchange) {
		RETRY_HINTS.forEach(exchange.getResponse().getHeaders()::remove);
		ServerWebExchangeUtils.reset(exchange);
		exchange.getResponse().setStatusCode(null);
	}

	/**
	 * The headers the backend answered with, before the allow-list filtered what reaches the client: a read-only
	 * view of Netty's own (case-insensitive) headers, not a copy, as every answer's are read here.
	 */
	static HttpHeaders backendHeaders(ServerWebExchange exchange) {
		HttpClientResponse answer = exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_ATTR);
		return answer == null ? HttpHeaders.EMPTY : backendHeaders(answer.responseHeaders());
	}

	static HttpHeaders backendHeaders(io.netty.handler.codec.http.HttpHeaders answered) {
		return HttpHeaders.readOnlyHttpHeaders(new HttpHeaders(new Netty4HeadersAdapter(answered)));
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

	private void markServedBy(ServerHttpResponse response, BackendDefinition backend, LlmExchange llm) {
		if (routing.isBackendHeader()) {
			response.getHeaders().set(BACKEND_HEADER, backend.id());
		}
		String model = backend.modelAtBackend(llm.request().model());
		if (model != null) {
			response.getHeaders().set(MODEL_HEADER, model);
		}
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

}
