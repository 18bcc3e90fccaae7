package dev.spillway.gateway.routing;

import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.request.BackendRequests;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.request.StreamContinuation;
import dev.spillway.gateway.routing.BackendPlanner.Plan;
import dev.spillway.gateway.routing.BackendPlanner.Use;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Continues a broken stream on another backend of its pool, chosen as any attempt is (never the one that broke it,
 * nor one throttled or with its circuit open, no waiting) and called with Spring Cloud Gateway's own HTTP client
 * (its pool, timeouts and TLS settings) with the client headers the first attempt forwarded (through the same
 * header filters, the allow-list among them). The broken backend's call is settled as a failure for its breaker, the
 * new one becomes the call whose outcome the end of the answer settles. A backend that refuses (a 429 throttles it,
 * as any 429 does; any other answer but 200 with an event stream counts against its breaker) is passed over for the
 * next one, until none is left.
 */
final class StreamContinuer implements StreamContinuation {

	/** Headers the continuation sets itself, or that belong to the client's request alone. */
	private static final Set<String> NOT_FORWARDED = Set.of("authorization", "api-key", "content-length", "host",
			"accept", "accept-encoding", "content-type", "transfer-encoding", "expect");

	private final PoolRegistry pools;

	private final SharedThrottles throttles;

	private final AnswerClassifier classifier;

	private final BackendHints hints;

	private final BackendRequests requests;

	private final HttpClient http;

	private final ObjectProvider<List<HttpHeadersFilter>> headersFilters;

	private final RoutingMetrics metrics;

	private final Clock clock;

	StreamContinuer(PoolRegistry pools, SharedThrottles throttles, RoutingProperties routing, BackendRequests requests,
			HttpClient http, ObjectProvider<List<HttpHeadersFilter>> headersFilters, RoutingMetrics metrics,
			Clock clock) {
		this.pools = pools;
		this.throttles = throttles;
		this.classifier = AnswerClassifier.from(routing);
		this.hints = new BackendHints(throttles, routing.getHeadroom().shareLevelArray());
		this.requests = requests;
		this.http = http;
		this.headersFilters = headersFilters;
		this.metrics = metrics;
		this.clock = clock;
	}

	@Override
	public Flux<DataBuffer> continueWith(LlmExchange llm, LlmRequest continuation) {
		return Flux.defer(() -> {
			BackendCall broken = llm.get(FailoverFilter.SERVING_CALL);
			BackendInstance failed = broken == null ? null : broken.backend();
			String failedId = failed == null ? "-" : failed.id();
			if (broken != null) {
				broken.failed(new IllegalStateException("the stream broke after its first events"));
			}
			Set<BackendInstance> excluded = new HashSet<>();
			if (failed != null) {
				excluded.add(failed);
			}
			return next(llm, continuation, failedId, excluded, forwarded(llm));
		});
	}

	/** The next backend's stream, or (when it refused) the one after it's; an error once none is left. */
	private Flux<DataBuffer> next(LlmExchange llm, LlmRequest continuation, String failedId,
			Set<BackendInstance> excluded, HttpHeaders forwarded) {
		BackendSelector selector = pools.selector(llm.pool());
		long now = clock.millis();
		Plan plan = selector == null ? null
				: BackendPlanner.plan(selector, now, now, continuation.estimatedTokens(), excluded);
		if (!(plan instanceof Use use)) {
			metrics.continuation(llm.pool(), failedId, "no_backend");
			return Flux.error(new NotContinued("no other backend of pool " + llm.pool() + " can take it now"));
		}
		BackendInstance next = use.backend();
		excluded.add(next);
		if (!next.state().breaker().tryAcquirePermission()) {
			return next(llm, continuation, failedId, excluded, forwarded);
		}
		BackendCall call = new BackendCall(next);
		llm.put(FailoverFilter.SERVING_CALL, call);
		llm.attempt(next.backend());
		next.state().countRequest();
		next.state().headroom().reserve(continuation.estimatedTokens());
		byte[] body = requests.body(next.backend(), continuation);
		BackendRequests.Credentials credentials = BackendRequests.credentials(next.backend());
		return http.headers(headers -> {
			forwarded.forEach((name, values) -> headers.add(name, values));
			headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
			headers.set(HttpHeaderNames.ACCEPT, "text/event-stream");
			headers.set(HttpHeaderNames.ACCEPT_ENCODING, "identity");
			headers.set(OpenAiHeaders.REQUEST_ID, llm.requestId());
			if (credentials != null) {
				headers.set(credentials.header(), credentials.value());
			}
		})
			.post()
			.uri(requests.url(next.backend(), continuation))
			.send(ByteBufFlux.fromInbound(Mono.just(body)))
			.response((response, content) -> {
				int status = response.status().code();
				HttpHeaders answered = FailoverFilter.backendHeaders(response.responseHeaders());
				hints.remember(next, answered, clock.millis());
				String type = answered.getFirst(HttpHeaders.CONTENT_TYPE);
				if (status == 200 && type != null && type.startsWith("text/event-stream")) {
					metrics.continuation(llm.pool(), failedId, "continued");
					NettyDataBufferFactory buffers = new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);
					return content.retain().map(buffers::wrap);
				}
				if (status == 429) {
					call.released();
					AnswerClassifier.Verdict verdict = classifier.classify(status, answered, null, false, clock.millis());
					if (verdict instanceof AnswerClassifier.Throttled throttled) {
						throttles.throttle(next, clock.millis() + throttled.backOff().toMillis(), "rate_limited");
					}
				}
				else {
					call.failed(new IllegalStateException("continuation answered " + status));
				}
				metrics.continuation(llm.pool(), failedId, "refused");
				return content.then(Mono.<DataBuffer>error(new Refused()));
			})
			// The refusing backend's connection is released before the next one is asked.
			.onErrorResume(Refused.class, refused -> next(llm, continuation, failedId, excluded, forwarded));
	}

	/** The backend asked refused: the next one is. */
	private static final class Refused extends RuntimeException {

		Refused() {
			super(null, null, false, false);
		}

	}

	/** The client headers the first attempt forwarded, less those the continuation sets itself. */
	private HttpHeaders forwarded(LlmExchange llm) {
		ServerWebExchange exchange = llm.get(FailoverFilter.CLIENT_EXCHANGE);
		HttpHeaders forwarded = new HttpHeaders();
		if (exchange == null) {
			return forwarded;
		}
		HttpHeaders filtered = HttpHeadersFilter.filterRequest(headersFilters.getIfAvailable(List::of), exchange);
		filtered.forEach((name, values) -> {
			String lower = name.toLowerCase(Locale.ROOT);
			if (!NOT_FORWARDED.contains(lower) && !lower.startsWith("x-spillway-")) {
				forwarded.addAll(name, values);
			}
		});
		return forwarded;
	}

}
