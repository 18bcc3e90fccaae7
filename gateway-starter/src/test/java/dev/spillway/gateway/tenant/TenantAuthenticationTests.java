package dev.spillway.gateway.tenant;

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
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

/** Keys are checked at the gateway; the client's key never travels upstream and the backend's is injected. */
@GatewayTest
class TenantAuthenticationTests {

	static final WireMockServer backend = TestWireMock.started();

	static final String CHAT = """
			{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""";

	@LocalServerPort
	int port;

	@DynamicPropertySource
	static void pool(DynamicPropertyRegistry registry) {
		registry.add("spillway.pools.gpt.backends[0].id", () -> "azure-east");
		registry.add("spillway.pools.gpt.backends[0].type", () -> "azure");
		registry.add("spillway.pools.gpt.backends[0].url", backend::baseUrl);
		registry.add("spillway.pools.gpt.backends[0].deployment", () -> "gpt4o-east");
		registry.add("spillway.pools.gpt.backends[0].api-key", () -> "backend-secret-key");
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@BeforeEach
	void stub() {
		backend.resetAll();
		backend.stubFor(post(urlPathMatching("/openai/deployments/.*")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "application/json")
			.withBody("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[]}")));
	}

	@Test
	void missingKeyIs401InOpenAiShapeAndNothingGoesUpstream() {
		Answer answer = client().post("/v1/chat/completions", Map.of(), CHAT);

		assertThat(answer.status()).isEqualTo(401);
		assertThat(answer.headers().get("Content-Type")).isEqualTo("application/json");
		assertThat(answer.body()).contains("\"type\":\"invalid_request_error\"")
			.contains("\"code\":\"invalid_api_key\"")
			.contains("\"message\":\"No API key provided");
		backend.verify(0, anyRequestedFor(anyUrl()));
	}

	@Test
	void unknownKeyIs401() {
		Answer bearer = client().post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-nobody"), CHAT);
		Answer apiKey = client().post("/v1/chat/completions", Map.of("api-key", "sk-acme-typo"), CHAT);
		Answer notBearer = client().post("/v1/chat/completions", Map.of("Authorization", "Basic c2stYWNtZQ=="), CHAT);

		assertThat(bearer.status()).isEqualTo(401);
		assertThat(bearer.body()).contains("Incorrect API key provided");
		assertThat(apiKey.status()).isEqualTo(401);
		assertThat(notBearer.status()).isEqualTo(401);
		backend.verify(0, anyRequestedFor(anyUrl()));
	}

	@Test
	void bearerKeyIsReplacedByTheBackendKey() {
		Answer answer = client().post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), CHAT);

		assertThat(answer.status()).isEqualTo(200);
		backend.verify(1, postRequestedFor(urlPathMatching("/openai/deployments/gpt4o-east/chat/completions"))
			.withHeader("api-key", equalTo("backend-secret-key"))
			.withHeader("Authorization", absent()));
		assertThat(answer.body()).doesNotContain("backend-secret-key");
		assertThat(answer.headers().toString()).doesNotContain("backend-secret-key");
	}

	@Test
	void azureStyleClientKeyIsReplacedToo() {
		Answer answer = client().post("/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01",
				Map.of("api-key", "sk-acme"), CHAT);

		assertThat(answer.status()).isEqualTo(200);
		backend.verify(1, postRequestedFor(urlPathMatching("/openai/deployments/gpt4o-east/chat/completions"))
			.withHeader("api-key", equalTo("backend-secret-key")));
		assertThat(backend.getAllServeEvents()).allSatisfy(event -> assertThat(event.getRequest().getAllHeaderKeys()
			.stream()
			.flatMap(h -> event.getRequest().header(h).values().stream())).doesNotContain("sk-acme"));
	}

	@Test
	void hashedKeysAuthenticate() {
		Answer answer = client().post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-globex"), CHAT);

		assertThat(answer.status()).isEqualTo(200);
	}

	@Test
	void routesThatDoNotLeadToAPoolAreLeftAlone() {
		Answer answer = client().post("/other/thing", Map.of(), CHAT);

		assertThat(answer.status()).as("no Spillway 401: the route is not Spillway's").isNotEqualTo(401);
	}

	private GatewayClient client() {
		return new GatewayClient(port);
	}

}
