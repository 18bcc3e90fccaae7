package dev.spillway.gateway.error;

import java.util.Map;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A path under the API's prefixes that no route serves is answered the way OpenAI answers it, so an SDK shows
 * why; other paths keep Spring Boot's error page. The gateway here routes chat completions only.
 */
@GatewayTest(properties = { "spring.cloud.gateway.server.webflux.routes[0].id=chat-only",
		"spring.cloud.gateway.server.webflux.routes[0].uri=lb://gpt",
		"spring.cloud.gateway.server.webflux.routes[0].predicates[0]=Path=/v1/chat/completions",
		"spillway.pools.gpt.models=gpt-4o", "spillway.pools.gpt.backends[0].id=mock",
		"spillway.pools.gpt.backends[0].type=openai", "spillway.pools.gpt.backends[0].url=http://127.0.0.1:9" })
class UnroutedPathTests {

	static final JsonMapper json = JsonMapper.builder().build();

	@LocalServerPort
	int port;

	@Test
	void anUnroutedApiPathIsAnOpenAiStyle404NamingMethodAndPath() {
		GatewayClient client = new GatewayClient(port);

		Answer post = client.post("/v1/embeddings", Map.of("Authorization", "Bearer sk-acme"), "{}");
		Answer azure = client.get("/openai/deployments/x/models?api-version=2024-10-21");

		assertThat(post.status()).isEqualTo(404);
		JsonNode error = json.readTree(post.body()).path("error");
		assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
		assertThat(error.path("message").asString()).isEqualTo("Invalid URL (POST /v1/embeddings)");
		assertThat(azure.status()).isEqualTo(404);
		assertThat(json.readTree(azure.body()).path("error").path("message").asString())
			.isEqualTo("Invalid URL (GET /openai/deployments/x/models)");
	}

	@Test
	void theOfficialSdkShowsTheReason() {
		OpenAIClient sdk = OpenAIOkHttpClient.builder()
			.baseUrl("http://127.0.0.1:" + port + "/v1")
			.apiKey("sk-acme")
			.maxRetries(0)
			.build();

		assertThatExceptionOfType(NotFoundException.class).isThrownBy(() -> sdk.models().list())
			.withMessageContaining("Invalid URL (GET /v1/models)");
	}

	@Test
	void otherPathsKeepTheApplicationsOwnErrorPage() {
		Answer answer = new GatewayClient(port).get("/elsewhere");

		assertThat(answer.status()).isEqualTo(404);
		assertThat(answer.body()).doesNotContain("invalid_request_error");
	}

}
