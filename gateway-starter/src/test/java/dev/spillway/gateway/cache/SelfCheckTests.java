package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.ArrayList;
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

/**
 * The self-check through real HTTP, a real Redis and the local model: every second semantic candidate is asked of
 * the mock instead of served; a band closes at its first disagreement (one in a window of four is above 20 %) and
 * opens once its last four comparisons agree.
 */
@GatewayTest(pool = "gpt-4o", properties = { "spillway.cache.enabled=true", "spillway.cache.similarity-threshold=0.85",
		"spillway.cache.self-check.sample-rate=0.5", "spillway.cache.self-check.window=4",
		"spillway.cache.self-check.min-comparisons=1",
		"spillway.cache.self-check.target-disagreement=0.2", "spillway.cache.embedding.timeout=2s",
		"spillway.cache.lookup-timeout=3s", "management.endpoints.web.exposure.include=spillway" })
class SelfCheckTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withCompletionTokens(6));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	static final List<String> PASSWORD = List.of("How can I reset my password?", "How should I reset my password?",
			"How would I reset my password?", "How do I reset my password, please?", "how can i reset my password",
			"Please, how do I reset my password?", "How could I reset my password?", "So how do I reset my password?",
			"How do I go about resetting my password?", "Hey, how do I reset my password?",
			"Hi, how can I reset my password?", "Hello, how should I reset my password?",
			"How exactly do I reset my password?", "How do I reset my password quickly?",
			"Quick one: how do I reset my password?", "Okay, how do I reset my password?",
			"How do I now reset my password?", "How do I actually reset my password?",
			"Can I reset my password? How?", "How might I reset my password?", "Thanks: how do I reset my password?",
			"How do we reset my password?", "How do I reset my own password?", "Just wondering, how do I reset my password?");

	static final List<String> LIBRARY = List.of("When does the library open on Sundays?",
			"At what time does the library open on Sundays?", "What hour does the library open on Sundays?",
			"when does the library open on sundays", "Please, when does the library open on Sundays?",
			"Hi, when does the library open on Sundays?", "So when does the library open on Sundays?",
			"When exactly does the library open on Sundays?", "What time is the library open from on Sundays?",
			"Hello, what time does the library open on Sundays?", "Okay, when does the library open on Sundays?",
			"Just wondering, when does the library open on Sundays?", "When does the library usually open on Sundays?",
			"When will the library open on Sundays?", "What time does the library normally open on Sundays?",
			"Hey, when does the library open on Sundays?", "At what hour does the library open on Sundays?",
			"When is the library opening on Sundays?", "When does our library open on Sundays?",
			"What time do they open the library on Sundays?", "When does the library open up on Sundays?",
			"Thanks: when does the library open on Sundays?", "Quick one: when does the library open on Sundays?",
			"Tell me when the library opens on Sundays.");

	@LocalServerPort
	int port;

	@Test
	void answersThatDifferRaiseThePoolsThresholdUntilNoSemanticHitIsServedAndAnswersThatAgreeBringHitsBack() {
		backend.answersVary("gpt-4o", true);
		store("What is the way to reset my password?");
		List<String> differing = outcomes(PASSWORD);

		assertThat(differing).as("served before the first disagreement").contains("SEMANTIC_HIT");
		assertThat(differing.subList(differing.size() - 8, differing.size())).as("no semantic hit once calibrated")
			.doesNotContain("SEMANTIC_HIT")
			.contains("MISS (checked)");
		JsonNode calibrated = pool();
		assertThat(calibrated.path("effectiveThreshold").asDouble()).isGreaterThan(0.85);
		assertThat(calibrated.path("disagreementRate").asDouble()).isGreaterThan(0.2);

		backend.answersVary("gpt-4o", false);
		store("What time does the library open on Sundays?");
		List<String> agreeing = outcomes(LIBRARY);

		int resumed = agreeing.indexOf("SEMANTIC_HIT");
		assertThat(resumed).as("semantic hits again after agreeing comparisons: " + agreeing).isPositive();
		assertThat(agreeing.subList(0, resumed)).as("checked until the bands agreed").contains("MISS (checked)");
		JsonNode recovered = pool();
		List<String> reopened = new ArrayList<>();
		calibrated.path("bands").properties().forEach(band -> {
			if (!band.getValue().path("serving").asBoolean()
					&& recovered.path("bands").path(band.getKey()).path("serving").asBoolean()) {
				reopened.add(band.getKey());
			}
		});
		assertThat(reopened).as("bands closed by disagreements that agreeing comparisons opened: " + recovered)
			.isNotEmpty();
	}

	private void store(String question) {
		assertThat(post(question).headers().get("x-spillway-cache")).isEqualTo("MISS");
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
			.until(() -> "HIT".equals(post(question).headers().get("x-spillway-cache")));
	}

	/**
	 * Each question's outcome: HIT, SEMANTIC_HIT, MISS, or "MISS (checked)" when its candidate was checked — the next
	 * question is asked only once that comparison is counted, so the outcomes follow from the similarities alone.
	 */
	private List<String> outcomes(List<String> questions) {
		List<String> outcomes = new ArrayList<>();
		for (String question : questions) {
			long compared = pool().path("comparisons").asLong();
			Answer answer = post(question);
			assertThat(answer.status()).isEqualTo(200);
			String outcome = answer.headers().get("x-spillway-cache");
			boolean checked = answer.headers().get("x-spillway-cache-self-check") != null;
			outcomes.add(checked ? outcome + " (checked)" : outcome);
			if (checked) {
				await().atMost(Duration.ofSeconds(30))
					.until(() -> pool().path("comparisons").asLong() > compared);
			}
		}
		return outcomes;
	}


	private JsonNode pool() {
		return json.readTree(new GatewayClient(port).get("/actuator/spillway").body()).path("cache").path("gpt");
	}

	private Answer post(String question) {
		return new GatewayClient(port).post("/v1/chat/completions", ACME,
				"{\"model\":\"gpt-4o\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\""
						+ question + "\"}]}");
	}

}
