package dev.spillway.gateway.streaming;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.knuddels.jtokkit.api.Encoding;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.request.Answer;
import dev.spillway.gateway.request.TokenCounter;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every buffer of an answer has a bound: a backend that never ends an event, an error body that never ends, an
 * answer longer than what is kept. The backend here is a plain Reactor Netty server that does exactly that.
 */
@GatewayTest(properties = { "spillway.streaming.max-event-size=64KB",
		"spillway.streaming.max-kept-answer-length=2000", "spillway.cache.enabled=true",
		"spillway.cache.embedding.type=none", "spillway.pools.gpt.context-fallback.pool=big",
		"spillway.pools.gpt.context-fallback.model=gpt-4.1", "spillway.pools.gpt.models=gpt-4o",
		"spillway.pools.big.models=gpt-4.1" })
class BufferBoundsTests {

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	/** 3,000 words, streamed ten to an event: far past the kept limit and the counting step. */
	static final String LONG_ANSWER = words(3000);

	static final DisposableServer backend = HttpServer.create()
		.host("127.0.0.1")
		.port(0)
		.handle(BufferBoundsTests::answer)
		.bindNow();

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Autowired
	TokenCounter tokens;

	@DynamicPropertySource
	static void pools(DynamicPropertyRegistry registry) {
		for (String pool : List.of("gpt", "big")) {
			registry.add("spillway.pools." + pool + ".backends[0].id", () -> pool + "-backend");
			registry.add("spillway.pools." + pool + ".backends[0].url", () -> "http://127.0.0.1:" + backend.port());
			registry.add("spillway.pools." + pool + ".backends[0].stream-usage", () -> "false");
		}
	}

	@AfterAll
	static void stop() {
		backend.disposeNow();
	}

	@Test
	void aBackendThatNeverEndsAnEventEndsTheStreamWithAnErrorEvent() {
		List<GatewayClient.Chunk> chunks = new GatewayClient(port)
			.stream("/v1/chat/completions", ACME, chat("endless-event", true))
			.collectList()
			.block(Duration.ofSeconds(20));

		assertThat(chunks.get(0).status()).isEqualTo(200);
		List<String> events = GatewayClient.events(chunks);
		assertThat(events).last().asString().contains("\"code\":\"upstream_stream_error\"").contains("65536 bytes");
		int relayed = chunks.stream().mapToInt(c -> c.text().length()).sum();
		assertThat(relayed).as("nothing of the endless event reaches the client").isLessThan(1024);
	}

	@Test
	void aBackendErrorBodyThatNeverEndsIsReadOnlyAsFarAsTheCap() {
		GatewayClient.Answer answer = new GatewayClient(port).post("/v1/chat/completions", ACME,
				chat("endless-400", false));

		// The 400 says context_length_exceeded in its first bytes: the request goes to the larger pool.
		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-spillway-model")).isEqualTo("gpt-4.1");
	}

	@Test
	void anAnswerLongerThanTheKeptLimitIsChargedInFullButNotCached() {
		GatewayClient client = new GatewayClient(port);
		double before = completionTokens("acme");

		List<GatewayClient.Chunk> first = client.stream("/v1/chat/completions", ACME, chat("long-answer", true))
			.collectList()
			.block(Duration.ofSeconds(20));
		assertThat(GatewayClient.events(first)).last().isEqualTo("[DONE]");
		Encoding encoding = tokens.encoding(null, "gpt-4o");
		long whole = tokens.count(encoding, LONG_ANSWER);
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(completionTokens("acme") - before)
				.as("counted in parts as it streamed, equal to counting the whole text")
				.isEqualTo((double) whole));

		List<GatewayClient.Chunk> second = client.stream("/v1/chat/completions", ACME, chat("long-answer", true))
			.collectList()
			.block(Duration.ofSeconds(20));
		assertThat(second.get(0).headers().get("x-spillway-cache")).isEqualTo("MISS");
		assertThat(GatewayClient.events(second)).last().isEqualTo("[DONE]");
	}

	@Test
	void aShortAnswerIsStillCached() {
		GatewayClient client = new GatewayClient(port);
		client.stream("/v1/chat/completions", ACME, chat("short-answer", true)).collectList().block(Duration.ofSeconds(20));

		await().atMost(Duration.ofSeconds(5))
			.until(() -> "HIT".equals(client.stream("/v1/chat/completions", ACME, chat("short-answer", true))
				.collectList()
				.block(Duration.ofSeconds(20))
				.get(0)
				.headers()
				.get("x-spillway-cache")));
	}

	static String chat(String content, boolean stream) {
		return "{\"model\":\"gpt-4o\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + content
				+ "\"}]}";
	}

	static String words(int count) {
		StringBuilder text = new StringBuilder();
		for (int i = 0; i < count; i++) {
			text.append(i == 0 ? "" : " ").append("word").append(i % 97).append(i % 5 == 0 ? "," : "");
		}
		return text.toString();
	}

	private static Mono<Void> answer(HttpServerRequest request, HttpServerResponse response) {
		return request.receive().aggregate().asString(StandardCharsets.UTF_8).flatMap(body -> {
			if (body.contains("gpt-4.1")) {
				return response.header("Content-Type", "application/json")
					.sendString(Mono.just("{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"gpt-4.1\",\"choices\":"
							+ "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"big\"},"
							+ "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,"
							+ "\"total_tokens\":6}}"))
					.then();
			}
			if (body.contains("endless-400")) {
				String start = "{\"error\":{\"code\":\"context_length_exceeded\",\"message\":\"too long\"";
				return response.status(400)
					.header("Content-Type", "application/json")
					.sendString(Flux.concat(Mono.just(start), Flux.generate(sink -> sink.next(" ".repeat(1024)))))
					.then();
			}
			response.header("Content-Type", "text/event-stream");
			if (body.contains("endless-event")) {
				return response
					.sendString(Flux.concat(Mono.just("data: "), Flux.generate(sink -> sink.next("x".repeat(1024)))))
					.then();
			}
			String text = body.contains("long-answer") ? LONG_ANSWER : "A short answer.";
			String[] words = text.split("(?= )");
			StringBuilder events = new StringBuilder();
			for (int i = 0; i < words.length; i += 10) {
				String piece = String.join("", java.util.Arrays.copyOfRange(words, i, Math.min(words.length, i + 10)));
				events.append(chunk("{\"content\":\"" + piece + "\"}", "null"));
			}
			events.append(chunk("{}", "\"stop\"")).append("data: [DONE]\n\n");
			return response.sendString(Mono.just(events.toString())).then();
		});
	}

	private static String chunk(String delta, String finishReason) {
		return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
				+ "\"delta\":" + delta + ",\"finish_reason\":" + finishReason + "}]}\n\n";
	}

	private double completionTokens(String tenant) {
		return meters.find("spillway.tokens").tag("tenant", tenant).tag("type", "completion").counters().stream()
			.mapToDouble(Counter::count)
			.sum();
	}

}
