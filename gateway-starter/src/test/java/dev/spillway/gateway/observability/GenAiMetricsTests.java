package dev.spillway.gateway.observability;

import java.time.Duration;
import java.util.Map;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The OpenTelemetry GenAI meters, with the convention's attributes, after a chat, a stream and a failover. */
@GatewayTest(pool = { "a", "b" }, resetBackendOnStart = true, properties = "spillway.pools.gpt.models=gpt-4o")
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
class GenAiMetricsTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a"),
			MockDeployment.unlimited("b"));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0");

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@BeforeEach
	void reset() {
		backend.reset();
	}

	@Test
	void aChatIsMeasuredWithTheConventionsNamesAndAttributes() {
		assertThat(new GatewayClient(port).post("/v1/chat/completions", ACME, """
				{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}""").status()).isEqualTo(200);

		await().atMost(Duration.ofSeconds(5)).until(() -> meters.find("gen_ai.client.operation.duration").timer() != null);
		DistributionSummary input = meters.find("gen_ai.client.token.usage")
			.tag("gen_ai.token.type", "input")
			.tag("gen_ai.operation.name", "chat")
			.tag("gen_ai.provider.name", "azure.ai.openai")
			.tag("gen_ai.request.model", "gpt-4o")
			.tag("gen_ai.response.model", "a")
			.tag("spillway.tenant", "acme")
			.tag("spillway.pool", "gpt")
			.tag("spillway.backend", "a")
			.tag("spillway.answer.source", "backend")
			.summary();
		assertThat(input).isNotNull();
		assertThat(input.totalAmount()).isPositive();
		assertThat(meters.find("gen_ai.client.token.usage").tag("gen_ai.token.type", "output").summary().totalAmount())
			.isEqualTo(12);
		Timer duration = meters.find("gen_ai.client.operation.duration").tag("gen_ai.operation.name", "chat").timer();
		assertThat(duration.count()).isEqualTo(1);
		assertThat(duration.getId().getTag("error.type")).isEqualTo("none");
		assertThat(meters.find("gen_ai.server.time_to_first_token").timer()).as("not a stream").isNull();
	}

	@Test
	void aStreamHasItsTimeToFirstTokenAndTimePerOutputToken() {
		new GatewayClient(port).stream("/v1/chat/completions", ACME, """
				{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hello"}]}""")
			.collectList()
			.block(Duration.ofSeconds(10));

		await().atMost(Duration.ofSeconds(5))
			.until(() -> meters.find("gen_ai.server.time_per_output_token").timer() != null);
		Timer firstToken = meters.find("gen_ai.server.time_to_first_token").tag("spillway.backend", "a").timer();
		assertThat(firstToken.count()).isEqualTo(1);
		assertThat(firstToken.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
		assertThat(meters.find("gen_ai.server.time_per_output_token").timer().count()).isEqualTo(1);
	}

	@Test
	void aFailoverIsMeasuredOnTheBackendThatServed() {
		backend.throttle("a", Duration.ofSeconds(30));

		assertThat(new GatewayClient(port).post("/v1/chat/completions", ACME, """
				{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}""").headers().get("x-spillway-backend"))
			.isEqualTo("b");

		await().atMost(Duration.ofSeconds(5)).until(() -> meters.find("gen_ai.client.operation.duration").timer() != null);
		assertThat(meters.find("gen_ai.client.operation.duration").tag("spillway.backend", "b").timer().count())
			.isEqualTo(1);
		assertThat(meters.find("gen_ai.client.operation.duration").tag("spillway.backend", "a").timer()).isNull();
	}

}
