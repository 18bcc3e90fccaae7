package dev.spillway.gateway.observability;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.test.simple.SimpleSpan;
import io.micrometer.tracing.test.simple.SimpleTracer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A request's trace, as an in-memory tracer records it: one span for the client's request, named and attributed as
 * the GenAI conventions say, with one child per backend attempt — a failover shows as two.
 */
@GatewayTest(pool = { "a", "b" }, resetBackendOnStart = true)
class RequestTracingTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a"),
			MockDeployment.unlimited("b"));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0");

	@LocalServerPort
	int port;

	@Autowired
	SimpleTracer tracer;

	@BeforeEach
	void reset() {
		backend.reset();
		tracer.getSpans().clear();
	}

	@Test
	void aFailoverIsTwoAttemptSpansUnderTheRequestsSpan() {
		backend.throttle("a", Duration.ofSeconds(30));

		GatewayClient.Answer answer = new GatewayClient(port).post("/v1/chat/completions", ACME, """
				{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}""");
		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("b");

		await().atMost(Duration.ofSeconds(5)).until(() -> requestSpan() != null);
		SimpleSpan request = requestSpan();
		assertThat(request.getName()).isEqualTo("chat gpt-4o");
		assertThat(request.getTags()).containsEntry("gen_ai.operation.name", "chat")
			.containsEntry("gen_ai.request.model", "gpt-4o")
			.containsEntry("gen_ai.response.model", "b")
			.containsEntry("spillway.tenant", "acme")
			.containsEntry("spillway.backend", "b")
			.containsEntry("spillway.request_id", answer.headers().get("x-request-id"))
			.containsKey("gen_ai.usage.output_tokens");
		List<SimpleSpan> attempts = tracer.getSpans()
			.stream()
			.filter(span -> span.getName().startsWith("attempt "))
			.toList();
		assertThat(attempts).extracting(SimpleSpan::getName).containsExactly("attempt a", "attempt b");
		assertThat(attempts).allSatisfy(attempt -> {
			assertThat(attempt.getParentId()).isEqualTo(request.getSpanId());
			assertThat(attempt.getTraceId()).isEqualTo(request.getTraceId());
		});
		assertThat(attempts.get(0).getTags()).containsEntry("spillway.outcome", "released");
		assertThat(attempts.get(1).getTags()).containsEntry("spillway.outcome", "success")
			.containsEntry("gen_ai.provider.name", "azure.ai.openai");
	}

	private SimpleSpan requestSpan() {
		return tracer.getSpans().stream().filter(span -> span.getName().startsWith("chat ")).findFirst().orElse(null);
	}

	@TestConfiguration
	static class InMemoryTracing {

		@Bean
		SimpleTracer simpleTracer() {
			return new SimpleTracer();
		}

		@Bean
		DefaultTracingObservationHandler tracingHandler(SimpleTracer tracer) {
			return new DefaultTracingObservationHandler(tracer);
		}

	}

}
