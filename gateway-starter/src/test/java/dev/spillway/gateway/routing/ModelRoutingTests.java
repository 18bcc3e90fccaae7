package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pools "gpt" (gpt-4o), "mini" (gpt-4o-mini) and "big" (gpt-4.1). Rules send {@code classify} tasks and the
 * "free" tier to mini; "gpt" falls back to "big" on context_length_exceeded and when exhausted.
 */
@GatewayTest(resetBackendOnStart = true, properties = { "spillway.routing.rules[0].when.task=classify",
		"spillway.routing.rules[0].pool=mini", "spillway.routing.rules[0].model=gpt-4o-mini",
		"spillway.routing.rules[1].when.tier=free", "spillway.routing.rules[1].pool=mini",
		"spillway.routing.rules[1].model=gpt-4o-mini", "spillway.limits.tiers.free.requests-per-minute=1000",
		"spillway.tenants.globex.tier=free", "spillway.pools.gpt.context-fallback.pool=big",
		"spillway.pools.gpt.context-fallback.model=gpt-4.1", "spillway.pools.gpt.fallback.pool=big",
		"spillway.routing.rules[2].when.task=summarise", "spillway.routing.rules[2].pool=listed",
		"spillway.pools.listed.models=gpt-4o-mini" })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
class ModelRoutingTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"),
			MockDeployment.unlimited("gpt-4o-mini"), MockDeployment.unlimited("gpt-4.1"));

	static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Is this spam?\"}]}";

	@LocalServerPort
	int port;

	@DynamicPropertySource
	static void pools(DynamicPropertyRegistry registry) {
		for (String pool : new String[] { "gpt:gpt-4o", "mini:gpt-4o-mini", "big:gpt-4.1" }) {
			String name = pool.split(":")[0];
			String deployment = pool.split(":")[1];
			registry.add("spillway.pools." + name + ".backends[0].id", () -> name + "-backend");
			registry.add("spillway.pools." + name + ".backends[0].type", () -> "azure");
			registry.add("spillway.pools." + name + ".backends[0].deployment", () -> deployment);
			registry.add("spillway.pools." + name + ".backends[0].url", backend::baseUrl);
		}
		// "listed" serves only gpt-4o-mini, and passes the requested name on as the deployment.
		registry.add("spillway.pools.listed.backends[0].id", () -> "listed-backend");
		registry.add("spillway.pools.listed.backends[0].type", () -> "azure");
		registry.add("spillway.pools.listed.backends[0].url", backend::baseUrl);
	}

	@BeforeEach
	void clear() {
		backend.reset();
	}

	@Test
	void aClassifyTaskGoesToTheMiniModelAndTheResponseSaysSo() {
		Answer answer = post(Map.of("Authorization", "Bearer sk-acme", "x-spillway-task", "classify"));

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-spillway-model")).isEqualTo("gpt-4o-mini");
		assertThat(backend.requestCount("gpt-4o-mini")).isEqualTo(1);
		assertThat(backend.requests().get(0).header("x-spillway-task")).as("not forwarded").isNull();
	}

	@Test
	void aRuleWithoutAModelCannotCarryANameItsTargetPoolDoesNotList() {
		Answer answer = post(Map.of("Authorization", "Bearer sk-acme", "x-spillway-task", "summarise"));

		assertThat(answer.status()).isEqualTo(404);
		assertThat(answer.body()).contains("\"code\":\"model_not_found\"");
		assertThat(backend.requests()).isEmpty();
	}

	@Test
	void theTenantsTierCanRouteToo() {
		assertThat(post(Map.of("Authorization", "Bearer sk-globex")).headers().get("x-spillway-model"))
			.isEqualTo("gpt-4o-mini");
		assertThat(post(Map.of("Authorization", "Bearer sk-acme")).headers().get("x-spillway-model")).isEqualTo("gpt-4o");
	}

	@Test
	void contextLengthExceededFallsBackToTheLargerContextModel() {
		backend.faults("gpt-4o", "context=1");

		Answer answer = post(Map.of("Authorization", "Bearer sk-acme"));

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-spillway-model")).isEqualTo("gpt-4.1");
		assertThat(backend.requestCount("gpt-4o")).isEqualTo(1);
		assertThat(backend.requestCount("gpt-4.1")).isEqualTo(1);
	}

	@Test
	void otherClientErrorsOfAPoolWithAContextFallbackPassThroughUnchanged() {
		backend.faults("gpt-4o", "status=400");

		Answer answer = post(Map.of("Authorization", "Bearer sk-acme"));

		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.body()).contains("Injected failure").contains("invalid_request_error");
		assertThat(backend.requestCount("gpt-4.1")).isZero();
	}

	@Test
	void anExhaustedPoolFallsBackToItsFallbackPool() {
		backend.throttle("gpt-4o", Duration.ofSeconds(30));

		Answer answer = post(Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0"));

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("big-backend");
		assertThat(answer.headers().get("x-spillway-model")).isEqualTo("gpt-4.1");
	}

	private Answer post(Map<String, String> headers) {
		return new GatewayClient(port).post("/v1/chat/completions", headers, CHAT);
	}

}
