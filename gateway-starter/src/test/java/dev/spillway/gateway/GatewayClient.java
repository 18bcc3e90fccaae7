package dev.spillway.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.netty.handler.codec.http.HttpHeaders;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

/**
 * A plain HTTP client for tests, on Reactor Netty so it sees bytes exactly as the gateway sent them and when.
 */
public final class GatewayClient {

	private final HttpClient http;

	public GatewayClient(int port) {
		this.http = HttpClient.create().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(30));
	}

	/** POSTs a JSON body and reads the whole answer. */
	public Answer post(String path, Map<String, String> headers, String body) {
		return post(path, headers, "application/json", body.getBytes(StandardCharsets.UTF_8));
	}

	public Answer post(String path, Map<String, String> headers, String contentType, byte[] body) {
		return http.headers(h -> {
			if (contentType != null) {
				h.set("Content-Type", contentType);
			}
			headers.forEach(h::set);
		})
			.post()
			.uri(path)
			.send(ByteBufFlux.fromInbound(Mono.just(body)))
			.responseSingle((res, content) -> content.asString(StandardCharsets.UTF_8)
				.defaultIfEmpty("")
				.map(text -> new Answer(res.status().code(), res.responseHeaders(), text)))
			.block(Duration.ofSeconds(30));
	}

	/** GETs a path and reads the whole answer. */
	public Answer get(String path) {
		return get(path, Map.of());
	}

	/** GETs a path with headers and reads the whole answer. */
	public Answer get(String path, Map<String, String> headers) {
		return http.headers(h -> headers.forEach(h::set))
			.get()
			.uri(path)
			.responseSingle((res, content) -> content.asString(StandardCharsets.UTF_8)
				.defaultIfEmpty("")
				.map(text -> new Answer(res.status().code(), res.responseHeaders(), text)))
			.block(Duration.ofSeconds(30));
	}

	/** DELETEs a path with headers and reads the whole answer. */
	public Answer delete(String path, Map<String, String> headers) {
		return http.headers(h -> headers.forEach(h::set))
			.delete()
			.uri(path)
			.responseSingle((res, content) -> content.asString(StandardCharsets.UTF_8)
				.defaultIfEmpty("")
				.map(text -> new Answer(res.status().code(), res.responseHeaders(), text)))
			.block(Duration.ofSeconds(30));
	}

	/** GETs a path and returns each network read of the answer with the time it arrived. */
	public Flux<Chunk> streamGet(String path, Map<String, String> headers) {
		return http.headers(h -> headers.forEach(h::set))
			.get()
			.uri(path)
			.response((res, content) -> content.asString(StandardCharsets.UTF_8)
				.map(text -> new Chunk(res.status().code(), res.responseHeaders(), text, System.nanoTime())));
	}

	/** POSTs a JSON body and returns each network read of the answer with the time it arrived. */
	public Flux<Chunk> stream(String path, Map<String, String> headers, String body) {
		return http.headers(h -> {
			h.set("Content-Type", "application/json");
			headers.forEach(h::set);
		})
			.post()
			.uri(path)
			.send(ByteBufFlux.fromString(Mono.just(body)))
			.response((res, content) -> content.asString(StandardCharsets.UTF_8)
				.map(text -> new Chunk(res.status().code(), res.responseHeaders(), text, System.nanoTime())));
	}

	/** Every event ({@code data: ...} payload) in a sequence of chunks. */
	public static List<String> events(List<Chunk> chunks) {
		StringBuilder all = new StringBuilder();
		chunks.forEach(c -> all.append(c.text()));
		List<String> events = new ArrayList<>();
		for (String event : all.toString().split("\n\n")) {
			if (event.startsWith("data: ")) {
				events.add(event.substring("data: ".length()));
			}
		}
		return events;
	}

	public record Answer(int status, HttpHeaders headers, String body) {
	}

	public record Chunk(int status, HttpHeaders headers, String text, long arrivedNanos) {
	}

}
