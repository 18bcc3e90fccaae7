package dev.spillway.gateway.streaming;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Chunk;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.request.Answer;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@GatewayTest(properties = { "spillway.streaming.idle-timeout=700ms", "spillway.pools.gpt.backends[0].id=mock",
		"spillway.pools.gpt.backends[0].type=azure",
		"spillway.pools.gpt.backends[0].url=${spillway.test.backend-url}", "spillway.pools.gpt.models=gpt-4o",
		"spillway.pools.gpt.backends[0].api-key=backend-secret" })
class StreamingRelayTests {

	@org.springframework.beans.factory.annotation.Autowired
	io.micrometer.core.instrument.MeterRegistry meters;

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withInterTokenDelay(Duration.ofMillis(200))
		.withCompletionTokens(5));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	static final String STREAM_BODY = """
			{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hello"}]}""";

	@LocalServerPort
	int port;

	@BeforeEach
	void clear() {
		backend.clearRecords();
	}

	@Test
	void eventsArriveAsTheBackendSendsThemNotAllAtTheEnd() {
		List<Chunk> chunks = client().stream("/v1/chat/completions", ACME, STREAM_BODY)
			.collectList()
			.block(Duration.ofSeconds(20));

		assertThat(chunks).isNotEmpty();
		// role + 5 content + finish + [DONE] = 8 events, 200 ms apart: ~1.6 s from first to last.
		List<String> events = GatewayClient.events(chunks);
		assertThat(events).hasSize(8).last().isEqualTo("[DONE]");
		long spreadMillis = TimeUnit.NANOSECONDS.toMillis(chunks.get(chunks.size() - 1).arrivedNanos()
				- chunks.get(0).arrivedNanos());
		assertThat(chunks.size()).as("network reads the client saw").isGreaterThanOrEqualTo(6);
		assertThat(spreadMillis).as("first event long before the last").isGreaterThan(1000);
	}

	@Test
	void streamedAnswersCarryStreamingHeadersAndNoLength() {
		Chunk first = client().stream("/v1/chat/completions", ACME, STREAM_BODY).blockFirst(Duration.ofSeconds(10));

		assertThat(first.status()).isEqualTo(200);
		assertThat(first.headers().get("Content-Type")).startsWith("text/event-stream");
		assertThat(first.headers().get("Cache-Control")).isEqualTo("no-cache");
		assertThat(first.headers().get("X-Accel-Buffering")).isEqualTo("no");
		assertThat(first.headers().contains("Content-Length")).isFalse();
		assertThat(first.headers().contains("Content-Encoding")).isFalse();
		assertThat(first.headers().get("Transfer-Encoding")).isEqualTo("chunked");
	}

	@Test
	void upstreamResetMidStreamEndsTheClientStreamWithAnErrorEvent() {
		Map<String, String> headers = Map.of("Authorization", "Bearer sk-acme", MockOpenAiServer.FAULT_HEADER,
				"reset-after=3");

		List<String> events = GatewayClient.events(client().stream("/v1/chat/completions", headers, STREAM_BODY)
			.collectList()
			.block(Duration.ofSeconds(10)));

		assertThat(events).hasSize(4);
		assertThat(events.subList(0, 3)).allMatch(e -> e.contains("chat.completion.chunk"));
		assertThat(events.get(3)).contains("\"error\"").contains("upstream_stream_error");
		assertThat(events).doesNotContain("[DONE]");
	}

	@Test
	void upstreamSilenceLongerThanTheIdleTimeoutEndsTheStreamAndCancelsUpstream() {
		Map<String, String> headers = Map.of("Authorization", "Bearer sk-acme", MockOpenAiServer.FAULT_HEADER,
				"stall-after=2");

		long started = System.nanoTime();
		List<String> events = GatewayClient.events(client().stream("/v1/chat/completions", headers, STREAM_BODY)
			.collectList()
			.block(Duration.ofSeconds(10)));

		assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(5000);
		assertThat(events).hasSize(3);
		assertThat(events.get(2)).contains("upstream_idle_timeout");
		await().atMost(Duration.ofSeconds(3)).until(() -> backend.cancelledStreams() == 1);
	}

	@Test
	void clientThatDisconnectsCancelsTheUpstreamRequest() {
		Disposable reading = client().stream("/v1/chat/completions", ACME, STREAM_BODY).subscribe();
		await().atMost(Duration.ofSeconds(5)).until(() -> backend.openStreams() == 1);

		reading.dispose();

		await().atMost(Duration.ofSeconds(2)).until(() -> backend.cancelledStreams() == 1);
		assertThat(backend.openStreams()).isZero();
		await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(
				meters.find("spillway.requests").tag("tenant", "acme").tag("outcome", "cancelled").counter())
			.isNotNull());
	}

	@Test
	void nonStreamingJsonPassesUnchanged() {
		GatewayClient.Answer answer = client().post("/v1/chat/completions", ACME, """
				{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}""");

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("Content-Type")).isEqualTo("application/json");
		assertThat(answer.body()).startsWith("{\"id\":\"chatcmpl-mock-").contains("\"object\":\"chat.completion\"");
		assertThat(answer.headers().getInt("Content-Length")).isEqualTo(answer.body().length());
	}

	private GatewayClient client() {
		return new GatewayClient(port);
	}

}
