package dev.spillway.gateway.routing;

import java.time.Clock;
import java.util.Set;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

import dev.spillway.gateway.request.BackendRequests;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.request.StreamContinuation;
import dev.spillway.gateway.routing.BackendPlanner.Plan;
import dev.spillway.gateway.routing.BackendPlanner.Use;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;

/**
 * Continues a broken stream on another backend of its pool, chosen as any attempt is (never the one that broke it,
 * nor one throttled or with its circuit open, no waiting) and called with Spring Cloud Gateway's own HTTP client
 * (its pool, timeouts and TLS settings). The broken backend's call is settled as a failure for its breaker, the new
 * one becomes the call whose outcome the end of the answer settles. A 429 from the chosen backend throttles it, as
 * any 429 does; any answer but 200 with an event stream ends the continuation.
 */
final class StreamContinuer implements StreamContinuation {

	private final PoolRegistry pools;

	private final SharedThrottles throttles;

	private final AnswerClassifier classifier;

	private final BackendRequests requests;

	private final HttpClient http;

	private final RoutingMetrics metrics;

	private final Clock clock;

	StreamContinuer(PoolRegistry pools, SharedThrottles throttles, AnswerClassifier classifier,
			BackendRequests requests, HttpClient http, RoutingMetrics metrics, Clock clock) {
		this.pools = pools;
		this.throttles = throttles;
		this.classifier = classifier;
		this.requests = requests;
		this.http = http;
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
			BackendSelector selector = pools.selector(llm.pool());
			long now = clock.millis();
			Plan plan = selector == null ? null
					: BackendPlanner.plan(selector, now, now, continuation.estimatedTokens(),
							failed == null ? Set.of() : Set.of(failed));
			if (!(plan instanceof Use use) || !use.backend().state().breaker().tryAcquirePermission()) {
				metrics.continuation(llm.pool(), failedId, "no_backend");
				return Flux.error(new NotContinued("no other backend of pool " + llm.pool() + " can take it now"));
			}
			BackendInstance next = use.backend();
			BackendCall call = new BackendCall(next);
			llm.put(FailoverFilter.SERVING_CALL, call);
			llm.attempt(next.backend());
			next.state().headroom().reserve(continuation.estimatedTokens());
			byte[] body = requests.body(next.backend(), continuation);
			BackendRequests.Credentials credentials = BackendRequests.credentials(next.backend());
			return http.headers(headers -> {
				headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
				headers.set(HttpHeaderNames.ACCEPT, "text/event-stream");
				headers.set(HttpHeaderNames.ACCEPT_ENCODING, "identity");
				if (credentials != null) {
					headers.set(credentials.header(), credentials.value());
				}
			})
				.post()
				.uri(requests.url(next.backend(), continuation))
				.send(ByteBufFlux.fromInbound(Mono.just(body)))
				.response((response, content) -> {
					int status = response.status().code();
					String type = response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
					if (status == 200 && type != null && type.startsWith("text/event-stream")) {
						metrics.continuation(llm.pool(), failedId, "continued");
						NettyDataBufferFactory buffers = new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);
						return content.retain().map(buffers::wrap);
					}
					if (status == 429) {
						call.released();
						HttpHeaders headers = new HttpHeaders();
						response.responseHeaders().forEach(header -> headers.add(header.getKey(), header.getValue()));
						AnswerClassifier.Verdict verdict = classifier.classify(status, headers, null, false, clock.millis());
						if (verdict instanceof AnswerClassifier.Throttled throttled) {
							throttles.throttle(next, clock.millis() + throttled.backOff().toMillis(), "rate_limited");
						}
					}
					else {
						call.failed(new IllegalStateException("continuation answered " + status));
					}
					metrics.continuation(llm.pool(), failedId, "refused");
					return content.then(Mono.error(new NotContinued(next.id() + " answered " + status)));
				});
		});
	}

}
