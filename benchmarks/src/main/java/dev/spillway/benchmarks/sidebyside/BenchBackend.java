package dev.spillway.benchmarks.sidebyside;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The side-by-side benchmark's backend: an OpenAI-compatible chat endpoint that never throttles and costs as little
 * as possible, so the gateways in front of it are what is measured. It answers the OpenAI and the Azure path. A
 * stream sends {@value #FAST_TOKENS} tokens {@value #FAST_DELAY_MS} ms apart, or, when the request's {@code user} is
 * {@code bench-slow}, {@value #SLOW_TOKENS} tokens a second apart (the open-streams memory test). The first token
 * leaves at once; the usage chunk follows when the request asks for it.
 * <p>
 * Run on its own: {@code java -cp benchmarks.jar dev.spillway.benchmarks.sidebyside.BenchBackend <port>}.
 */
public final class BenchBackend {

	static final int FAST_TOKENS = 20;

	static final long FAST_DELAY_MS = 5;

	static final int SLOW_TOKENS = 30;

	private static final String COMPLETION = """
			{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-fast",\
			"choices":[{"index":0,"message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog."},\
			"finish_reason":"stop"}],"usage":{"prompt_tokens":24,"completion_tokens":10,"total_tokens":34}}""";

	private static final byte[] COMPLETION_BYTES = COMPLETION.getBytes(StandardCharsets.UTF_8);

	private static final String CHUNK = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
			+ "\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},"
			+ "\"finish_reason\":null}]}\n\n";

	private static final String USAGE_CHUNK = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
			+ "\"created\":1700000000,\"model\":\"bench\",\"choices\":[],"
			+ "\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\n";

	private BenchBackend() {
	}

	public static void main(String[] args) {
		int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
		DisposableServer server = start(port);
		System.out.println("BenchBackend listening on " + server.port());
		server.onDispose().block();
	}

	static DisposableServer start(int port) {
		return HttpServer.create()
			.host("127.0.0.1")
			.port(port)
			.route(routes -> routes.post("/v1/chat/completions", BenchBackend::chat)
				.post("/openai/deployments/{deployment}/chat/completions", BenchBackend::chat))
			.bindNow();
	}

	private static Mono<Void> chat(HttpServerRequest request, HttpServerResponse response) {
		return request.receive().aggregate().asString(StandardCharsets.UTF_8).flatMap(body -> {
			if (!body.contains("\"stream\":true") && !body.contains("\"stream\": true")) {
				return response.header(HttpHeaderNames.CONTENT_TYPE, "application/json")
					.sendByteArray(Mono.just(COMPLETION_BYTES))
					.then();
			}
			boolean slow = body.contains("\"user\":\"bench-slow\"");
			int tokens = slow ? SLOW_TOKENS : FAST_TOKENS;
			Duration delay = slow ? Duration.ofSeconds(1) : Duration.ofMillis(FAST_DELAY_MS);
			boolean usage = body.contains("include_usage");
			Flux<String> events = Flux.interval(Duration.ZERO, delay).take(tokens).map(i -> CHUNK);
			if (usage) {
				events = events.concatWithValues(USAGE_CHUNK.formatted(tokens, tokens + 24));
			}
			events = events.concatWithValues("data: [DONE]\n\n");
			return response.header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
				.header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
				.sendString(events, StandardCharsets.UTF_8)
				.then();
		});
	}

}
