package dev.spillway.gateway.wire;

import java.util.List;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;

/**
 * Replays a kept answer (the cache, Idempotency-Key) the way the client asked for it, whichever way it was stored,
 * in its operation's form: the JSON answer (with a fresh {@code id} and {@code created}) to a client that does not
 * stream; to a streaming client, well-formed Server-Sent Events, each flushed on its own.
 */
public final class StoredAnswers {

	private final JsonMapper json;

	public StoredAnswers(JsonMapper json) {
		this.json = json;
	}

	/** Whether {@code answer} can be replayed to a client of {@code format} that does (or does not) stream. */
	public boolean replayable(WireFormat format, StoredAnswer answer, boolean stream) {
		return stream ? !format.replayEvents(json, answer, false).isEmpty() : format.replayJson(json, answer) != null;
	}

	/** Writes {@code answer} as the whole response. */
	public Mono<Void> replay(ServerHttpResponse response, WireFormat format, StoredAnswer answer, boolean stream,
			boolean includeUsage) {
		return stream ? writeEvents(response, format.replayEvents(json, answer, includeUsage))
				: writeJson(response, format.replayJson(json, answer));
	}

	/** Writes events as a Server-Sent Events answer, each flushed on its own. */
	public static Mono<Void> writeEvents(ServerHttpResponse response, List<byte[]> events) {
		response.getHeaders().setContentType(MediaType.TEXT_EVENT_STREAM);
		DataBufferFactory buffers = response.bufferFactory();
		return response.writeAndFlushWith(Flux.fromIterable(events).map(event -> Mono.just(buffers.wrap(event))));
	}

	/** Writes a JSON answer. */
	public static Mono<Void> writeJson(ServerHttpResponse response, byte[] body) {
		response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
		response.getHeaders().setContentLength(body.length);
		return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
	}

}
