package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.request.Answer;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backend "ptu" has a small token budget and reports what is left; "paygo" has plenty. The pool as a whole can
 * serve every request, so a client never sees a 429.
 */
@GatewayTest(pool = { "ptu", "paygo" }, resetBackendOnStart = true)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
class TokenAwareRoutingTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(new MockDeployment("ptu", 1200, 0,
			Duration.ZERO, 10), MockDeployment.unlimited("paygo"));

	@LocalServerPort
	int port;

	@BeforeEach
	void resetBackend() {
		backend.reset();
	}

	@Test
	void aBackendThatReportsTooFewRemainingTokensIsSkippedBeforeItAnswers429() {
		GatewayClient client = new GatewayClient(port);
		String body = "{\"model\":\"gpt-4o\",\"max_tokens\":500,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		Map<String, String> acme = Map.of("Authorization", "Bearer sk-acme");

		List<String> servedBy = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			GatewayClient.Answer answer = client.post("/v1/chat/completions", acme, body);
			assertThat(answer.status()).isEqualTo(200);
			servedBy.add(answer.headers().get("x-spillway-backend"));
		}

		// Each request costs the PTU ~525 of its 1200 tokens: after two, it reports ~150 left.
		assertThat(servedBy).containsExactly("ptu", "ptu", "paygo");
		assertThat(backend.requestCount("ptu")).as("the PTU never had to answer 429").isEqualTo(2);
	}

	@Test
	void theOfficialSdkWithItsRetriesOffSeesNo429DuringABurstThePoolCanServe() throws Exception {
		OpenAIClient client = OpenAIOkHttpClient.builder()
			.apiKey("sk-acme")
			.baseUrl("http://127.0.0.1:" + port + "/v1")
			.maxRetries(0)
			.build();
		ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
			.model("gpt-4o")
			.maxCompletionTokens(100)
			.addUserMessage("Tell me something")
			.build();
		ExecutorService pool = Executors.newFixedThreadPool(8);
		List<Future<ChatCompletion>> answers = new ArrayList<>();
		try {
			for (int i = 0; i < 60; i++) {
				answers.add(pool.submit(() -> client.chat().completions().create(params)));
			}
			for (Future<ChatCompletion> answer : answers) {
				assertThat(answer.get().choices().get(0).message().content()).isPresent();
			}
		}
		finally {
			pool.shutdownNow();
		}

		long ptu = backend.requestCount("ptu");
		long paygo = backend.requestCount("paygo");
		assertThat(ptu).as("the PTU served what it could").isGreaterThan(0);
		assertThat(paygo).as("the rest spilled to pay-as-you-go").isGreaterThan(0);
		assertThat(ptu + paygo).isGreaterThanOrEqualTo(60);
	}

}
