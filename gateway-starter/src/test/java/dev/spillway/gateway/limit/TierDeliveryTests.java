package dev.spillway.gateway.limit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.TestClock;
import dev.spillway.gateway.TestGateways;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant on a 2,000 tokens-per-minute tier, two gateway instances on one Redis, the official client without
 * {@code max_tokens} and without retries, JSON and streamed answers alternating. Refill is driven by a clock both
 * instances share: stopped, the tier gives exactly its capacity; moved, exactly its rate. The tokens counted are what
 * the backend reported as used, read by the client.
 */
class TierDeliveryTests {

	static final long CAPACITY = 2_000;

	private final TestClock clock = TestClock.stoppedAt(Instant.parse("2026-12-02T10:00:00Z"));

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	private final List<OpenAIClient> clients = new ArrayList<>();

	private MockOpenAiServer backend;

	@AfterEach
	void stop() {
		clients.forEach(OpenAIClient::close);
		instances.forEach(ConfigurableApplicationContext::close);
		if (backend != null) {
			backend.close();
		}
	}

	@Test
	void backToBackRequestsGetTheTiersCapacity() {
		List<OpenAIClient> gateways = twoInstances(20);

		long used = 0;
		for (int i = 0;; i++) {
			try {
				used += ask(gateways.get(i % 2), i % 4 >= 2);
			}
			catch (RateLimitException refused) {
				assertThat(refused.getMessage()).contains("Rate limit reached for tenant 'acme' on tokens per minute");
				break;
			}
			assertThat(i).as("the limit was reached").isLessThan(500);
		}

		System.out.printf("figure back-to-back: %d of %d tokens used before the first 429 (%.1f %%)%n", used, CAPACITY,
				100.0 * used / CAPACITY);
		assertThat(used / (double) CAPACITY).as("used %s of %s", used, CAPACITY).isBetween(0.90, 1.05);
	}

	@Test
	void eightConcurrentClientsGetMostOfTheCapacityAndNoMoreThanTheRateOverClockedMinutes() throws Exception {
		List<OpenAIClient> gateways = twoInstances(20);

		Round first = round(gateways, 8);
		System.out.printf("figure 8 concurrent: %d of %d tokens used before the first 429 (%.1f %%)%n",
				first.beforeFirstRefusal(), CAPACITY, 100.0 * first.beforeFirstRefusal() / CAPACITY);
		assertThat(first.beforeFirstRefusal() / (double) CAPACITY).as("used before the first 429").isGreaterThanOrEqualTo(0.80);

		long used = first.used();
		Duration step = Duration.ofSeconds(20);
		int steps = 9;
		for (int s = 0; s < steps; s++) {
			clock.advance(step);
			used += round(gateways, 8).used();
		}
		double minutes = steps * step.toSeconds() / 60.0;
		double allowed = CAPACITY + CAPACITY * minutes;
		System.out.printf("figure 8 concurrent over %.0f clocked minutes: %d tokens used, %.0f allowed (%.3f)%n", minutes,
				used, allowed, used / allowed);
		assertThat(used / allowed).as("used over %s clocked minutes of %s allowed", minutes, allowed)
			.isBetween(0.80, 1.05);
	}

	@Test
	void longAnswersStayWithinTheAllowancePlusWhatIsInFlight() throws Exception {
		List<OpenAIClient> gateways = twoInstances(1_100);

		long used = 0;
		long longest = 0;
		Duration step = Duration.ofSeconds(30);
		int steps = 10;
		for (int s = 0; s <= steps; s++) {
			Round round = round(gateways, 4);
			used += round.used();
			longest = Math.max(longest, round.longest());
			if (s < steps) {
				clock.advance(step);
			}
		}
		double allowed = CAPACITY + CAPACITY * steps * step.toSeconds() / 60.0;
		System.out.printf("figure 4 long answers over 5 clocked minutes: %d tokens used, %.0f allowed (%.3f), longest %d%n",
				used, allowed, used / allowed, longest);
		assertThat(longest).isGreaterThan(1_000);
		// The documented bound: beyond the allowance, at most what the requests in flight at the end use beyond
		// their reservations, at most their whole answers.
		assertThat((double) used).isLessThanOrEqualTo(1.05 * allowed + 4 * longest)
			.isGreaterThanOrEqualTo(0.80 * allowed);
	}

	/** What {@code concurrency} clients used until every one of them was refused, with the clock standing still. */
	private Round round(List<OpenAIClient> gateways, int concurrency) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(concurrency);
		AtomicBoolean refusedOnce = new AtomicBoolean();
		AtomicLong beforeFirstRefusal = new AtomicLong();
		AtomicLong used = new AtomicLong();
		AtomicLong longest = new AtomicLong();
		CyclicBarrier start = new CyclicBarrier(concurrency);
		try {
			List<Future<?>> running = new ArrayList<>();
			for (int c = 0; c < concurrency; c++) {
				OpenAIClient gateway = gateways.get(c % 2);
				boolean streamed = c % 4 >= 2;
				running.add(pool.submit(() -> {
					start.await();
					for (int i = 0; i < 1_000; i++) {
						try {
							long tokens = ask(gateway, streamed);
							used.addAndGet(tokens);
							longest.accumulateAndGet(tokens, Math::max);
							if (!refusedOnce.get()) {
								beforeFirstRefusal.addAndGet(tokens);
							}
						}
						catch (RateLimitException refused) {
							assertThat(refused.getMessage()).contains("Rate limit reached for tenant 'acme'");
							refusedOnce.set(true);
							return null;
						}
					}
					throw new AssertionError("never refused");
				}));
			}
			for (Future<?> client : running) {
				client.get(120, TimeUnit.SECONDS);
			}
		}
		finally {
			pool.shutdownNow();
		}
		return new Round(used.get(), beforeFirstRefusal.get(), longest.get());
	}

	private record Round(long used, long beforeFirstRefusal, long longest) {
	}

	/** Asks once; the tokens the backend reported. */
	private static long ask(OpenAIClient gateway, boolean streamed) {
		ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder()
			.model("gpt-4o")
			.addUserMessage("Say something short.");
		if (!streamed) {
			ChatCompletion answer = gateway.chat().completions().create(params.build());
			return answer.usage().orElseThrow().totalTokens();
		}
		params.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
		long total = -1;
		try (StreamResponse<ChatCompletionChunk> stream = gateway.chat().completions().createStreaming(params.build())) {
			for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
				total = chunk.usage().map(CompletionUsage::totalTokens).orElse(total);
			}
		}
		assertThat(total).as("the stream's usage").isPositive();
		return total;
	}

	private List<OpenAIClient> twoInstances(int completionTokens) {
		backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
			.withCompletionTokens(completionTokens)
			.withInterTokenDelay(Duration.ZERO));
		String prefix = "delivery-" + UUID.randomUUID();
		List<OpenAIClient> gateways = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			Map<String, Object> properties = new HashMap<>();
			properties.put("server.port", 0);
			properties.put("spring.data.redis.url", TestRedis.sharedUrl());
			properties.put("spillway.shared-state.key-prefix", prefix);
			properties.put("spillway.limits.tiers.small.tokens-per-minute", CAPACITY);
			properties.put("spillway.tenants.acme.keys", "sk-acme");
			properties.put("spillway.tenants.acme.tier", "small");
			// Settling before the end is bounded by 50 ms by default; a loaded CI machine must not turn that into a
			// different result.
			properties.put("spillway.limits.settle-timeout", "5s");
			properties.put("spillway.pools.gpt.models", "gpt-4o");
			properties.put("spillway.pools.gpt.backends[0].id", "mock");
			properties.put("spillway.pools.gpt.backends[0].url", backend.baseUrl() + "/v1");
			properties.put("logging.level.dev.spillway", "warn");
			ConfigurableApplicationContext gateway = TestGateways.start(properties, clock);
			instances.add(gateway);
			int port = ((WebServerApplicationContext) gateway).getWebServer().getPort();
			OpenAIClient client = OpenAIOkHttpClient.builder()
				.baseUrl("http://127.0.0.1:" + port + "/v1")
				.apiKey("sk-acme")
				.maxRetries(0)
				.build();
			clients.add(client);
			gateways.add(client);
		}
		return gateways;
	}

}
