package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Shadow mode: every semantic candidate is compared with the backend's answer, and none is served. */
@GatewayTest(pool = "gpt-4o", properties = { "spillway.cache.enabled=true", "spillway.cache.similarity-threshold=0.85",
		"spillway.cache.self-check.shadow=true", "spillway.cache.embedding.timeout=2s",
		"spillway.cache.lookup-timeout=3s", "management.endpoints.web.exposure.include=spillway" })
class SelfCheckShadowTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withCompletionTokens(6));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	@LocalServerPort
	int port;

	@Test
	void noSemanticHitIsServedAndEveryComparisonIsCounted() {
		String question = "How do I renew my library card?";
		assertThat(post(question).headers().get("x-spillway-cache")).isEqualTo("MISS");
		await().atMost(Duration.ofSeconds(30)).until(() -> "HIT".equals(post(question).headers().get("x-spillway-cache")));
		List<String> rewordings = List.of("How can I renew my library card?", "How should I renew my library card?",
				"Please, how do I renew my library card?",
				"How would I renew my library card?", "Hi, how can I renew my library card?");
		long before = backend.requests().size();

		for (String rewording : rewordings) {
			Answer answer = post(rewording);
			assertThat(answer.headers().get("x-spillway-cache")).as(rewording).isEqualTo("MISS");
		}

		assertThat(backend.requests()).as("every one asked of the backend").hasSize((int) before + rewordings.size());
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			JsonNode pool = json.readTree(new GatewayClient(port).get("/actuator/spillway").body()).path("cache")
				.path("gpt");
			assertThat(pool.path("shadow").asBoolean()).isTrue();
			assertThat(pool.path("semanticHitsServed").asLong()).isZero();
			assertThat(pool.path("semanticCandidates").asLong()).isEqualTo(rewordings.size());
			assertThat(pool.path("comparisons").asLong()).isEqualTo(rewordings.size());
		});
	}

	private Answer post(String question) {
		return new GatewayClient(port).post("/v1/chat/completions", ACME,
				"{\"model\":\"gpt-4o\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\""
						+ question + "\"}]}");
	}

}
