package dev.spillway.gateway.upstream;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayClient.Chunk;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestWireMock;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Only listed headers cross the gateway (the defaults here): the client's billing and cookie headers stay out of the
 * backend request, and the backend's account, region, cookie and rate-limit headers stay out of the answer, streamed
 * or not.
 */
@GatewayTest(properties = { "spillway.jobs.enabled=false", "spillway.pools.gpt.models=gpt-4o" })
class HeaderAllowListTests {

	static final WireMockServer backend = TestWireMock.started();

	static final String CHAT = """
			{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""";

	static final Map<String, String> CLIENT_HEADERS = Map.ofEntries(Map.entry("Authorization", "Bearer sk-acme"),
			Map.entry("OpenAI-Organization", "org-client"), Map.entry("OpenAI-Project", "proj-client"),
			Map.entry("Cookie", "session=abc"), Map.entry("X-Custom", "1"), Map.entry("User-Agent", "OpenAI/Java 4.1"),
			Map.entry("OpenAI-Beta", "assistants=v2"), Map.entry("traceparent",
					"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
			Map.entry("X-Stainless-Lang", "java"), Map.entry("x-ms-client-request-id", "client-42"),
			Map.entry("Accept", "application/json"));

	@LocalServerPort
	int port;

	@org.springframework.beans.factory.annotation.Autowired
	HeaderProperties properties;

	@DynamicPropertySource
	static void pool(DynamicPropertyRegistry registry) {
		registry.add("spillway.pools.gpt.backends[0].id", () -> "azure-east");
		registry.add("spillway.pools.gpt.backends[0].type", () -> "azure");
		registry.add("spillway.pools.gpt.backends[0].url", backend::baseUrl);
		registry.add("spillway.pools.gpt.backends[0].api-key", () -> "backend-secret-key");
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@BeforeEach
	void reset() {
		backend.resetAll();
	}

	@Test
	void theTestsListIsTheDefaultPlusTheMocksFaultHeader() {
		assertThat(properties.getToBackends()).containsExactlyElementsOf(java.util.stream.Stream
			.concat(new HeaderProperties().getToBackends().stream(),
					java.util.stream.Stream.of("x-mock-fault"))
			.toList());
	}

	@Test
	void onlyListedClientHeadersReachTheBackend() {
		backend.stubFor(post(urlPathMatching("/openai/deployments/.*")).willReturn(identifying(json())));

		assertThat(new GatewayClient(port).post("/v1/chat/completions", CLIENT_HEADERS, CHAT).status()).isEqualTo(200);

		List<LoggedRequest> requests = backend.findAll(postRequestedFor(urlPathMatching("/openai/deployments/.*")));
		assertThat(requests).hasSize(1);
		LoggedRequest upstream = requests.get(0);
		assertThat(upstream.containsHeader("OpenAI-Organization")).isFalse();
		assertThat(upstream.containsHeader("OpenAI-Project")).isFalse();
		assertThat(upstream.containsHeader("Cookie")).isFalse();
		assertThat(upstream.containsHeader("X-Custom")).isFalse();
		assertThat(upstream.getHeader("User-Agent")).isEqualTo("OpenAI/Java 4.1");
		assertThat(upstream.getHeader("OpenAI-Beta")).isEqualTo("assistants=v2");
		assertThat(upstream.getHeader("traceparent")).startsWith("00-4bf92f");
		assertThat(upstream.getHeader("X-Stainless-Lang")).isEqualTo("java");
		assertThat(upstream.getHeader("x-ms-client-request-id")).isEqualTo("client-42");
		assertThat(upstream.getHeader("Content-Type")).startsWith("application/json");
		assertThat(upstream.getHeader("api-key")).as("Spillway's own credentials").isEqualTo("backend-secret-key");
		assertThat(upstream.getHeader("x-request-id")).as("Spillway's request id").isNotBlank();
	}

	@Test
	void onlyListedBackendHeadersReachTheClient() {
		backend.stubFor(post(urlPathMatching("/openai/deployments/.*")).willReturn(identifying(json())));

		Answer answer = new GatewayClient(port).post("/v1/chat/completions", CLIENT_HEADERS, CHAT);

		assertThat(answer.status()).isEqualTo(200);
		assertIdentityHeadersRemoved(answer.headers());
		assertThat(answer.headers().get("openai-processing-ms")).isEqualTo("123");
		assertThat(answer.headers().get("Content-Type")).startsWith("application/json");
		assertThat(answer.headers().get("x-backend-request-id")).isEqualTo("backend-req-1");
		assertThat(answer.headers().get("x-request-id")).isNotEqualTo("backend-req-1");
		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("azure-east");
	}

	@Test
	void streamedAnswersCarryOnlyListedBackendHeadersToo() {
		backend.stubFor(post(urlPathMatching("/openai/deployments/.*")).willReturn(identifying(aResponse().withStatus(200)
			.withHeader("Content-Type", "text/event-stream")
			.withBody("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
					+ "\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n"))));

		List<Chunk> chunks = new GatewayClient(port)
			.stream("/v1/chat/completions", CLIENT_HEADERS, CHAT.replace("{\"model\"", "{\"stream\":true,\"model\""))
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat(chunks).isNotEmpty();
		io.netty.handler.codec.http.HttpHeaders headers = chunks.get(0).headers();
		assertThat(chunks.get(0).status()).isEqualTo(200);
		assertThat(GatewayClient.events(chunks)).last().isEqualTo("[DONE]");
		assertIdentityHeadersRemoved(headers);
		assertThat(headers.get("openai-processing-ms")).isEqualTo("123");
		assertThat(headers.get("Cache-Control")).isEqualTo("no-cache");
	}

	private static void assertIdentityHeadersRemoved(io.netty.handler.codec.http.HttpHeaders headers) {
		assertThat(headers.contains("openai-organization")).isFalse();
		assertThat(headers.contains("x-ms-region")).isFalse();
		assertThat(headers.contains("apim-request-id")).isFalse();
		assertThat(headers.contains("set-cookie")).isFalse();
		assertThat(headers.contains("x-ratelimit-limit-project-tokens")).isFalse();
		assertThat(headers.contains("x-ratelimit-remaining-tokens")).as("the backend's, not the tenant's").isFalse();
		assertThat(headers.contains("Retry-After")).as("a retry hint on a success").isFalse();
	}

	private static ResponseDefinitionBuilder json() {
		return aResponse().withStatus(200)
			.withHeader("Content-Type", "application/json")
			.withBody("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[],"
					+ "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}");
	}

	private static ResponseDefinitionBuilder identifying(ResponseDefinitionBuilder answer) {
		return answer.withHeader("openai-organization", "org-operator")
			.withHeader("x-ms-region", "Sweden Central")
			.withHeader("apim-request-id", "apim-1")
			.withHeader("set-cookie", "affinity=backend-7")
			.withHeader("openai-processing-ms", "123")
			.withHeader("x-request-id", "backend-req-1")
			.withHeader("x-ratelimit-limit-project-tokens", "1000000")
			.withHeader("x-ratelimit-remaining-tokens", "99999")
			.withHeader("Retry-After", "7");
	}

}
