package dev.spillway.gateway.limit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Forty concurrent requests from the official SDK with its default retries (two, honouring {@code retry-after-ms}
 * up to a minute) against a tenant allowed 30 requests a minute: 30 fit at once and the other ten fit within the
 * next 20 s, one every 2 s. Told the same wait, the ten would come back together and only one would fit each
 * time; told consecutive moments, every one of them fits on its first retry.
 */
@GatewayTest(pool = "gpt-4o", properties = { "spillway.limits.tiers.burst.requests-per-minute=30",
		"spillway.tenants.burst.keys=sk-burst", "spillway.tenants.burst.tier=burst",
		"spillway.pools.gpt.models=gpt-4o" })
class OpenAiSdkBurstTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withCompletionTokens(5));

	@LocalServerPort
	int port;

	@Test
	void atLeast38Of40ConcurrentSdkRequestsSucceedWithTheSdksDefaultRetries() throws Exception {
		OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1")
			.apiKey("sk-burst")
			.build();
		ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
			.model("gpt-4o")
			.addUserMessage("Hi")
			.build();
		ExecutorService clients = Executors.newFixedThreadPool(40);
		CountDownLatch start = new CountDownLatch(1);
		try {
			List<Future<Boolean>> sent = new ArrayList<>();
			for (int i = 0; i < 40; i++) {
				sent.add(clients.submit(() -> {
					start.await();
					try {
						return client.chat().completions().create(params).choices().size() == 1;
					}
					catch (RateLimitException refusedForGood) {
						return false;
					}
				}));
			}
			start.countDown();
			int succeeded = 0;
			for (Future<Boolean> answer : sent) {
				succeeded += answer.get() ? 1 : 0;
			}

			assertThat(succeeded).isGreaterThanOrEqualTo(38);
			assertThat(backend.requestCount("gpt-4o")).isEqualTo(succeeded);
		}
		finally {
			clients.shutdownNow();
			client.close();
		}
	}

}
