package dev.spillway.gateway.upstream;

import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestWireMock;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both client forms reach an OpenAI-form backend: the path becomes {@code {url}/chat/completions}, the model the
 * backend's own, the key a bearer token. (The Azure backend form is covered by TenantAuthenticationTests.)
 */
@GatewayTest
class BackendFormTests {

	static final WireMockServer backend = TestWireMock.started();

	@LocalServerPort
	int port;

	@DynamicPropertySource
	static void pool(DynamicPropertyRegistry registry) {
		registry.add("spillway.pools.gpt.backends[0].id", () -> "compatible");
		registry.add("spillway.pools.gpt.backends[0].type", () -> "openai");
		registry.add("spillway.pools.gpt.backends[0].url", () -> backend.baseUrl() + "/v1/");
		registry.add("spillway.pools.gpt.backends[0].model", () -> "gpt-4o-2024-08-06");
		registry.add("spillway.pools.gpt.backends[0].api-key", () -> "sk-upstream");
		registry.add("spillway.pools.gpt.models", () -> "gpt-4o,gpt-4o-deployment");
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@BeforeEach
	void stub() {
		backend.resetAll();
		backend.stubFor(post(urlPathMatching("/v1/.*")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "application/json")
			.withBody("{\"object\":\"chat.completion\"}")));
	}

	@Test
	void openAiClientFormGetsTheBackendModelAndBearerKey() {
		Answer answer = client().post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), """
				{"model":"gpt-4o","temperature":0.2,"messages":[{"role":"user","content":"Hi"}]}""");

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.body()).isEqualTo("{\"object\":\"chat.completion\"}");
		backend.verify(1, postRequestedFor(urlEqualTo("/v1/chat/completions"))
			.withHeader("Authorization", equalTo("Bearer sk-upstream"))
			.withHeader("api-key", absent())
			.withRequestBody(equalToJson("""
					{"model":"gpt-4o-2024-08-06","temperature":0.2,"messages":[{"role":"user","content":"Hi"}]}""")));
	}

	@Test
	void azureClientFormReachesAnOpenAiBackend() {
		Answer answer = client().post("/openai/deployments/gpt-4o-deployment/embeddings?api-version=2024-10-21",
				Map.of("api-key", "sk-acme"), """
						{"input":"hello"}""");

		assertThat(answer.status()).isEqualTo(200);
		backend.verify(1, postRequestedFor(urlEqualTo("/v1/embeddings"))
			.withHeader("Authorization", equalTo("Bearer sk-upstream"))
			.withRequestBody(equalToJson("""
					{"model":"gpt-4o-2024-08-06","input":"hello"}""")));
	}

	@Test
	void modelsThePoolDoesNotServeAre404() {
		Answer answer = client().post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), """
				{"model":"gpt-5-imaginary","messages":[{"role":"user","content":"Hi"}]}""");

		assertThat(answer.status()).isEqualTo(404);
		assertThat(answer.body()).contains("\"code\":\"model_not_found\"").contains("gpt-5-imaginary");
		assertThat(backend.getAllServeEvents()).isEmpty();
	}

	@Test
	void upstreamErrorsPassThroughUnchanged() {
		backend.stubFor(post(urlPathMatching("/v1/.*")).willReturn(aResponse().withStatus(400)
			.withHeader("Content-Type", "application/json")
			.withBody("{\"error\":{\"code\":\"context_length_exceeded\",\"type\":\"invalid_request_error\"}}")));

		Answer answer = client().post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), """
				{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""");

		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.body()).contains("context_length_exceeded");
	}

	@Test
	void unreachableBackendIs502InOpenAiShape() {
		backend.stubFor(post(urlPathMatching("/v1/.*")).willReturn(aResponse()
			.withFault(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)));

		Answer answer = client().post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), """
				{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""");

		assertThat(answer.status()).isEqualTo(502);
		assertThat(answer.body()).startsWith("{\"error\":{").contains("upstream_unavailable").doesNotContain("Exception");
	}

	private GatewayClient client() {
		return new GatewayClient(port);
	}

}
