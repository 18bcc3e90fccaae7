package dev.spillway.gateway.upstream;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.limit.TenantBuckets;
import dev.spillway.gateway.request.Answer;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backends that reset the connection instead of answering: the request is re-sent while another backend is left,
 * else the client gets a well-formed 502 at once, and the tenant's reservation is given back either way.
 */
@GatewayTest(pool = { "a", "b" }, properties = { "spillway.tenants.faulty.keys=sk-faulty",
		"spillway.tenants.faulty.tier=metered", "spillway.limits.tiers.metered.tokens-per-minute=600",
		"spillway.pools.gpt.models=gpt-4o", "spillway.routing.circuit-breaker.failure-rate-threshold=100" })
class BackendFaultTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a"),
			MockDeployment.unlimited("b"));

	static final String CHAT = "{\"model\":\"gpt-4o\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

	static final String STREAM = "{\"model\":\"gpt-4o\",\"stream\":true,\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

	static final Map<String, String> FAULTY = Map.of("Authorization", "Bearer sk-faulty");

	@LocalServerPort
	int port;

	@Autowired
	ApplicationContext gateway;

	@BeforeEach
	void clear() {
		backend.reset();
	}

	@Test
	void aResetBeforeHeadersIsServedByTheNextBackend() {
		backend.faults("a", "reset-before-headers=1");
		GatewayClient client = new GatewayClient(port);

		GatewayClient.Answer answer = client.post("/v1/chat/completions", FAULTY, CHAT);
		List<GatewayClient.Chunk> stream = client.stream("/v1/chat/completions", FAULTY, STREAM)
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("b");
		assertThat(stream.get(0).headers().get("x-spillway-backend")).isEqualTo("b");
		assertThat(GatewayClient.events(stream)).last().isEqualTo("[DONE]");
	}

	@Test
	void everyBackendResettingIsAWellFormed502AndTheReservationIsGivenBack() {
		backend.faults("a", "reset-before-headers=1");
		backend.faults("b", "reset-before-headers=1");
		long before = TenantBuckets.availableTokens(gateway, "faulty", "gpt-4o");

		long started = System.nanoTime();
		GatewayClient.Answer answer = new GatewayClient(port).post("/v1/chat/completions", FAULTY, CHAT);

		assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(5_000);
		assertThat(answer.status()).isEqualTo(502);
		JsonNode error = json.readTree(answer.body()).path("error");
		assertThat(error.path("message").isString()).isTrue();
		assertThat(error.path("type").asString()).isNotBlank();
		assertThat(answer.body()).doesNotContain("Exception");
		// The tier refills 10 tokens a second: without the refund the ~70 reserved would not be back in time.
		await().atMost(Duration.ofSeconds(3))
			.untilAsserted(() -> assertThat(TenantBuckets.availableTokens(gateway, "faulty", "gpt-4o"))
				.isGreaterThanOrEqualTo(before));
	}

}
