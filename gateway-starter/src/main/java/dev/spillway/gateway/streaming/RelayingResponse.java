package dev.spillway.gateway.streaming;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.Connection;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.request.StreamContinuation;
import dev.spillway.gateway.wire.WireFormat;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;

/**
 * The client's response on a Spillway route. Event streams are relayed whole event by whole event, each flushed
 * as it completes; silence longer than the idle timeout, an upstream failure, or an upstream end without
 * its terminal event, or an event larger than the limit closes the client's stream with its operation's error event. Cancelling (the client went away)
 * travels upstream, where Spring Cloud Gateway disposes the backend connection. A JSON answer is copied as it goes
 * by and read as soon as it is whole (its top-level value closed): the piece that completes it is written once the
 * answer was read, so work that must be done before the client sees the end (see {@link LlmExchange#holdEndUntil})
 * holds it, as it holds the events of a stream from the one that made its usage known. A write cut short by the client's connection closing
 * marks the request cancelled.
 */
final class RelayingResponse extends ServerHttpResponseDecorator {

	private static final Logger log = LoggerFactory.getLogger(RelayingResponse.class);

	static final String ACCEL_BUFFERING = "X-Accel-Buffering";

	private static final byte[] EVENT_END = { '\n', '\n' };

	private final LlmExchange llm;

	private final UsageCollector usage;

	private final Duration idleTimeout;

	private final int maxEventBytes;

	private final UnaryOperator<Mono<Void>> onLoop;

	private final StreamContinuation continuation;

	private final JsonMapper json;

	private volatile Throwable failure;

	/** What broke the first backend's stream when another backend continued it. */
	private volatile Throwable brokenBefore;

	/**
	 * @param onLoop moves a hold's completion to the connection's event loop (it may complete on a Redis thread)
	 * @param continuation continues a broken stream on another backend; {@code null}: it ends with an error event
	 */
	RelayingResponse(ServerHttpResponse delegate, LlmExchange llm, UsageCollector usage, Duration idleTimeout,
			int maxEventBytes, UnaryOperator<Mono<Void>> onLoop, StreamContinuation continuation, JsonMapper json) {
		super(delegate);
		this.continuation = continuation;
		this.json = json;
		this.onLoop = onLoop;
		this.llm = llm;
		this.usage = usage;
		this.idleTimeout = idleTimeout;
		this.maxEventBytes = maxEventBytes;
	}

	@Override
	public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
		if (isEventStream()) {
			return relay(Flux.from(body));
		}
		if ("gzip".equalsIgnoreCase(getHeaders().getFirst(HttpHeaders.CONTENT_ENCODING))) {
			usage.gzipped();
		}
		// The answer is read however the write ends, before the request is settled: a client that left once it had
		// been sent the whole body, before its end arrived, is still charged the usage it carried.
		return super.writeWith(readAsItPasses(Flux.<DataBuffer>from(body)))
			.doOnCancel(usage::onJsonEnd)
			.doOnError(failure -> usage.onJsonEnd())
			.then(Mono.fromRunnable(() -> {
				usage.onJsonEnd();
				if (!clientConnectionOpen()) {
					llm.markClientGone();
				}
			}));
	}

	/**
	 * {@code body} as it comes, read as it passes; the piece that makes the answer whole is passed on once the answer
	 * has been read and what holds its end is done.
	 */
	private Flux<DataBuffer> readAsItPasses(Flux<DataBuffer> body) {
		return body.concatMap(buffer -> {
			if (!usage.onJsonBytes(buffer)) {
				return Mono.just(buffer);
			}
			usage.onJsonEnd();
			Mono<Void> hold = endHeld();
			if (hold == null) {
				return Mono.just(buffer);
			}
			// Released here only if it never went on: once written, the write owns it (and releases it on failure).
			AtomicBoolean passedOn = new AtomicBoolean();
			return hold.then(Mono.just(buffer)).doOnNext(piece -> passedOn.set(true)).doOnCancel(() -> {
				if (!passedOn.get()) {
					DataBufferUtils.release(buffer);
				}
			});
		});
	}

	/** What the end of the answer waits for, on the event loop; {@code null} when nothing holds it. */
	private Mono<Void> endHeld() {
		Mono<Void> hold = llm.endHold();
		return hold == null ? null : onLoop.apply(hold);
	}

	/**
	 * Whether the client's connection is still open after a write. Reactor Netty completes a send, cancelling its
	 * source, when the connection closes under it, so a write that completed on a closed connection was cut short
	 * by a client that left. (A send that completes normally does so on the connection's event loop before any
	 * close there is handled, so the answer is exact.)
	 */
	private boolean clientConnectionOpen() {
		Object nativeResponse;
		try {
			nativeResponse = ServerHttpResponseDecorator.getNativeResponse(getDelegate());
		}
		catch (IllegalArgumentException notNative) {
			return true;
		}
		return !(nativeResponse instanceof Connection connection) || connection.channel().isActive();
	}

	@Override
	public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
		if (isEventStream()) {
			return relay(Flux.from(body).concatMap(Flux::from));
		}
		return super.writeAndFlushWith(body);
	}

	private boolean isEventStream() {
		MediaType contentType = getHeaders().getContentType();
		return contentType != null && MediaType.TEXT_EVENT_STREAM.isCompatibleWith(contentType);
	}

	private Mono<Void> relay(Flux<? extends DataBuffer> upstream) {
		HttpHeaders headers = getHeaders();
		headers.remove(HttpHeaders.CONTENT_LENGTH);
		headers.set(HttpHeaders.CACHE_CONTROL, "no-cache");
		headers.set(ACCEL_BUFFERING, "no");
		String encoding = headers.getFirst(HttpHeaders.CONTENT_ENCODING);
		if (encoding != null && !"identity".equalsIgnoreCase(encoding)) {
			// Compressed despite our Accept-Encoding: identity. Pass it through untouched rather than cut it wrongly.
			return getDelegate().writeAndFlushWith(upstream.map(Mono::just));
		}
		boolean clientWantsUsage = llm.request() != null && llm.request().clientWantsUsage();
		Flux<byte[]> events = idleWatched(events(upstream, null, clientWantsUsage));
		if (continuation != null) {
			events = events.onErrorResume(failure -> !(failure instanceof SseEventSplitter.EventTooLargeException),
					failure -> continued(failure, clientWantsUsage));
		}
		Flux<DataBuffer> relayed = events.map(bufferFactory()::wrap).onErrorResume(this::failureEvent);
		// After a failure the client has its error event; signalling the failure onwards makes Spring Cloud Gateway
		// dispose the backend connection and skip waiting for trailer headers that a broken connection never sends
		// (reactor-netty's trailerHeaders() does not complete then). StreamingResponseFilter absorbs the signal.
		// The same after a continuation: the client has its whole answer, but the first backend's connection broke.
		return getDelegate().writeAndFlushWith(relayed.map(Mono::just)).then(Mono.defer(() -> {
			Throwable broken = failure != null ? failure : brokenBefore;
			return broken == null ? Mono.empty() : Mono.error(new RelayedFailure(broken));
		}));
	}

	/**
	 * {@code events}, failing with a {@link TimeoutException} once none came for the idle timeout. One check per
	 * tenth of the timeout for each stream, rather than a timer cancelled and scheduled again for every event (as
	 * Reactor's {@code timeout} does): with thousands of events a second, those timers cost more than the relay.
	 */
	private Flux<byte[]> idleWatched(Flux<byte[]> events) {
		return Flux.defer(() -> {
			long idleNanos = idleTimeout.toNanos();
			AtomicLong last = new AtomicLong(System.nanoTime());
			Sinks.One<Boolean> ended = Sinks.one();
			Duration tick = Duration.ofNanos(Math.max(1_000_000, idleNanos / 10));
			Mono<byte[]> idle = Flux.interval(tick, tick)
				.takeUntilOther(ended.asMono())
				.filter(ticked -> System.nanoTime() - last.get() >= idleNanos)
				.next()
				.flatMap(ticked -> Mono.error(new TimeoutException()));
			return events.doOnNext(event -> last.set(System.nanoTime()))
				.doFinally(signal -> ended.tryEmitValue(true))
				.mergeWith(idle);
		});
	}

	/** {@code event}, once what holds the end of the answer is done (nothing, until its usage is known). */
	private Mono<byte[]> afterHold(byte[] event) {
		Mono<Void> hold = endHeld();
		return hold == null ? Mono.just(event) : hold.thenReturn(event);
	}

	/**
	 * The whole events of {@code upstream}, each rewritten by {@code splice} when it continues a broken stream, read
	 * for settlement (and dropped when the reader says so), then held while the end of the answer is; an error when
	 * it ended without its operation's terminal event.
	 */
	private Flux<byte[]> events(Flux<? extends DataBuffer> upstream, WireFormat.Splice splice, boolean clientWantsUsage) {
		LlmRequest request = llm.request();
		boolean expectsTerminal = request != null && request.operation().format().streamsEndWithTerminalEvent();
		return Flux.defer(() -> {
			SseEventSplitter splitter = new SseEventSplitter(maxEventBytes);
			return upstream.concatMapIterable(splitter::feed)
				.doOnDiscard(DataBuffer.class, DataBufferUtils::release)
				.concatWith(Flux.defer(() -> Flux.fromIterable(tail(splitter))))
				.<byte[]>handle((event, sink) -> {
					byte[] relayed = splice == null ? event : splice.rewrite(event);
					if (relayed != null && usage.onEvent(relayed, clientWantsUsage)) {
						sink.next(relayed);
					}
				})
				.concatWith(Flux.defer(() -> expectsTerminal && !usage.terminal()
						? Flux.error(new IncompleteStreamException()) : Flux.empty()))
				.concatMap(this::afterHold);
		});
	}

	/** The last event, when the upstream ended without the blank line after it. */
	private static List<byte[]> tail(SseEventSplitter splitter) {
		return splitter.remainder() == null ? List.of() : splitter.feed(EVENT_END);
	}

	/**
	 * The rest of the answer from another backend, spliced in after what the client already has; {@code failure}
	 * again when the answer cannot be continued (its text was too long to keep, it called tools, the request is of a
	 * kind that is not continued) or no other backend could take it. A continuation that fails is not continued again.
	 */
	private Flux<byte[]> continued(Throwable failure, boolean clientWantsUsage) {
		LlmRequest request = llm.request();
		String partial = usage.continuableText();
		if (request == null || partial == null || llm.clientGone()) {
			return Flux.error(failure);
		}
		WireFormat format = request.operation().format();
		ObjectNode body = format.continuation(request.body(), partial, usage.streamedTokens());
		WireFormat.Splice splice = body == null ? null
				: format.splice(json, usage.reading(), partial, request.promptTokens(), usage.streamedTokens());
		if (splice == null) {
			return Flux.error(failure);
		}
		log.warn("Stream from pool={} backend={} broke after {} characters ({}); continuing on another backend",
				llm.pool(), llm.backend() == null ? null : llm.backend().id(), partial.length(), failure.toString());
		brokenBefore = failure;
		return idleWatched(events(continuation.continueWith(llm, request.withBody(body)), splice, clientWantsUsage))
			.onErrorMap(StreamContinuation.NotContinued.class, notContinued -> {
				log.warn("Stream from pool={} not continued: {}", llm.pool(), notContinued.getMessage());
				return failure;
			});
	}

	private Mono<DataBuffer> failureEvent(Throwable failure) {
		this.failure = failure;
		llm.markUpstreamFailed();
		OpenAiError error;
		if (failure instanceof TimeoutException) {
			error = OpenAiError.server(HttpStatus.GATEWAY_TIMEOUT, "upstream_idle_timeout",
					"The upstream sent nothing for " + idleTimeout.toMillis() + " ms; the stream was ended.");
		}
		else if (failure instanceof SseEventSplitter.EventTooLargeException) {
			error = OpenAiError.server(HttpStatus.BAD_GATEWAY, "upstream_stream_error",
					"The upstream sent an event larger than " + maxEventBytes + " bytes; the stream was ended.");
		}
		else if (failure instanceof IncompleteStreamException) {
			error = OpenAiError.server(HttpStatus.BAD_GATEWAY, "upstream_stream_incomplete",
					"The upstream ended the stream before it was complete.");
		}
		else {
			error = OpenAiError.server(HttpStatus.BAD_GATEWAY, "upstream_stream_error",
					"The upstream connection failed in the middle of the stream.");
		}
		log.warn("Stream from pool={} backend={} ended with {}: {}", llm.pool(),
				llm.backend() == null ? null : llm.backend().id(), error.code(), failure.toString());
		return Mono.just(bufferFactory().wrap(usage.errorEvent(error)));
	}

	/** A stream failure already reported to the client in an error event; only cleanup remains to be done. */
	static final class RelayedFailure extends RuntimeException {

		RelayedFailure(Throwable cause) {
			super("stream failure already reported to the client", cause, false, false);
		}

	}

	private static final class IncompleteStreamException extends RuntimeException {

		IncompleteStreamException() {
			super("stream ended without its terminal event", null, false, false);
		}

	}

}
