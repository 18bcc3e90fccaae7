package dev.spillway.clients;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import okhttp3.Interceptor;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.embedding.EmbeddingResponse;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.openai.OpenAiEmbeddingModel;
import org.springframework.ai.openai.OpenAiEmbeddingOptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Spring AI 2.0.1 ({@code spring-ai-openai}, built by hand as an application without the starter would) against the
 * sample gateway: chat, streams with usage, embeddings, the Microsoft Foundry (Azure) form, its timeout on a long
 * stream, and a tenant's 429, as docs/clients.md describes them.
 */
class SpringAiClientTests {

	static final String METERED_KEY = "sk-metered-spring-ai";

	static SampleGateway gateway;

	@BeforeAll
	static void start() throws Exception {
		gateway = SampleGateway.start("spring-ai",
				"--spillway.tenants.metered.keys[0]=" + METERED_KEY,
				"--spillway.tenants.metered.tier=sixty-a-minute",
				"--spillway.limits.tiers.sixty-a-minute.requests-per-minute=60");
	}

	@AfterAll
	static void stop() {
		gateway.close();
	}

	@Test
	void chatThroughTheV1BaseUrl() {
		ChatResponse answer = chatModel(options(5)).call(new Prompt("Name one use of a spillway."));

		assertThat(answer.getResult().getOutput().getText()).isEqualTo(MockAnswer.words(5));
		Usage usage = answer.getMetadata().getUsage();
		assertThat(usage.getCompletionTokens()).isEqualTo(5);
		assertThat(usage.getPromptTokens()).isPositive();
		assertThat(usage.getTotalTokens()).isEqualTo(usage.getPromptTokens() + 5);
	}

	@Test
	void aStreamCarriesTheTextAndTheUsageSpringAiAsksForByDefault() {
		List<ChatResponse> responses = chatModel(options(8)).stream(new Prompt("Describe a dam in eight words."))
			.collectList()
			.block(Duration.ofSeconds(30));

		assertThat(text(responses)).isEqualTo(MockAnswer.words(8));
		assertThat(responses).last().satisfies(last -> {
			assertThat(last.getMetadata().getUsage().getCompletionTokens()).isEqualTo(8);
			assertThat(last.getMetadata().getUsage().getPromptTokens()).isPositive();
		});
	}

	@Test
	void theBareHostIsNotTheBaseUrl() {
		OpenAiChatModel bareHost = chatModel(OpenAiChatOptions.builder()
			.baseUrl(gateway.url(""))
			.apiKey(SampleGateway.DEMO_KEY)
			.model("gpt-4o")
			.maxRetries(0)
			.build());

		// Spring AI 2 appends chat/completions to the base URL as the OpenAI SDK does: /chat/completions is no route.
		assertThat(catchThrowable(() -> bareHost.call(new Prompt("Hello")))).hasMessageContaining("404");
	}

	@Test
	void embeddings() {
		OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder()
			.options(OpenAiEmbeddingOptions.builder()
				.baseUrl(gateway.url("/v1"))
				.apiKey(SampleGateway.DEMO_KEY)
				.model("text-embedding-3-small")
				.build())
			.build();

		EmbeddingResponse answer = model.embedForResponse(List.of("How do spillways protect a dam?"));

		// The simulated model's vectors have 8 dimensions (a real text-embedding-3-small has 1536).
		assertThat(answer.getResults()).singleElement().satisfies(e -> assertThat(e.getOutput()).hasSize(8));
		assertThat(answer.getMetadata().getUsage().getPromptTokens()).isPositive();
	}

	@Test
	void theMicrosoftFoundryFormTakesTheBareHostAndTheDeploymentName() {
		Attempts attempts = new Attempts();
		OpenAiChatModel foundry = OpenAiChatModel.builder()
			.options(OpenAiChatOptions.builder()
				.baseUrl(gateway.url(""))
				.apiKey(SampleGateway.DEMO_KEY)
				.microsoftFoundry(true)
				.deploymentName("gpt-4o")
				.maxTokens(5)
				.maxRetries(0)
				.build())
			.httpClientBuilderCustomizer(builder -> builder.interceptor(attempts))
			.build();
		OpenAiEmbeddingModel foundryEmbeddings = OpenAiEmbeddingModel.builder()
			.options(OpenAiEmbeddingOptions.builder()
				.baseUrl(gateway.url(""))
				.apiKey(SampleGateway.DEMO_KEY)
				.microsoftFoundry(true)
				.deploymentName("text-embedding-3-small")
				.maxRetries(0)
				.build())
			.httpClientBuilderCustomizer(builder -> builder.interceptor(attempts))
			.build();

		ChatResponse answer = foundry.call(new Prompt("What does a stilling basin do?"));
		EmbeddingResponse vectors = foundryEmbeddings.embedForResponse(List.of("What does a stilling basin do?"));

		assertThat(answer.getResult().getOutput().getText()).isEqualTo(MockAnswer.words(5));
		assertThat(vectors.getResults()).singleElement().satisfies(e -> assertThat(e.getOutput()).hasSize(8));
		assertThat(attempts.all()).extracting(Attempt::path).containsExactly(
				"/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
				"/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21");
		assertThat(attempts.all()).allSatisfy(attempt -> assertThat(attempt.apiKeyHeader()).isTrue());
	}

	@Test
	void theTimeoutCoversTheWholeStreamNotTheWaitBetweenEvents() {
		Attempts attempts = new Attempts();
		OpenAiChatModel model = OpenAiChatModel.builder().options(OpenAiChatOptions.builder()
			.baseUrl(gateway.url("/v1"))
			.apiKey(SampleGateway.DEMO_KEY)
			.model("gpt-4o")
			.maxTokens(60)
			.timeout(Duration.ofSeconds(1))
			.maxRetries(0)
			// Always a live answer: a cached one would be replayed at once.
			.customHeaders(Map.of("Cache-Control", "no-cache"))
			.build())
			.httpClientBuilderCustomizer(builder -> builder.interceptor(attempts))
			.build();
		warmUp();
		List<ChatResponse> received = new CopyOnWriteArrayList<>();

		// The simulated deployments pace 60 tokens over at least 2.4 s, an event every 40-60 ms.
		Throwable failure = catchThrowable(() -> model.stream(new Prompt("Tell me about spillways."))
			.doOnNext(received::add)
			.blockLast(Duration.ofSeconds(30)));

		// OkHttp's call timeout, which the SDK wraps: "Stream failed", caused by InterruptedIOException("timeout").
		assertThat(causes(failure)).anySatisfy(cause -> assertThat(cause).isInstanceOf(InterruptedIOException.class)
			.hasMessage("timeout"));
		assertThat(attempts.all()).extracting(Attempt::cacheOutcome).containsExactly("BYPASS");
		String partial = text(received);
		assertThat(partial).isNotEmpty();
		assertThat(partial.split(" ")).hasSizeLessThan(60);
		assertThat(MockAnswer.words(60)).startsWith(partial);
	}

	@Test
	void aTenantsRetryAfterIsWaitedInFullBeforeTheRetry() throws Exception {
		Attempts attempts = new Attempts();
		OpenAiChatModel model = OpenAiChatModel.builder()
			.options(OpenAiChatOptions.builder()
				.baseUrl(gateway.url("/v1"))
				.apiKey(METERED_KEY)
				.model("gpt-4o")
				.maxTokens(5)
				.build())
			.httpClientBuilderCustomizer(builder -> builder.interceptor(attempts))
			.build();
		warmUp();
		TenantBudget.spend(gateway, METERED_KEY, Duration.ofMillis(700));

		ChatResponse answer = model.call(new Prompt("Is this request over the limit?"));
		TenantBudget.spend(gateway, METERED_KEY, Duration.ofMillis(700));
		String streamed = text(model.stream(new Prompt("Is this stream over the limit?")).collectList()
			.block(Duration.ofSeconds(30)));

		assertThat(answer.getResult().getOutput().getText()).isEqualTo(MockAnswer.words(5));
		assertThat(streamed).isEqualTo(MockAnswer.words(5));
		// Each call: refused, then (default maxRetries 3) sent again no sooner than the gateway said.
		List<Attempt> all = attempts.all();
		assertThat(all).extracting(Attempt::status).containsExactly(429, 200, 429, 200);
		for (int refused : new int[] { 0, 2 }) {
			assertThat(all.get(refused).retryAfterMs()).isGreaterThan(0);
			assertThat(Duration.ofNanos(all.get(refused + 1).sentNanos() - all.get(refused).answeredNanos()))
				.isGreaterThanOrEqualTo(Duration.ofMillis(all.get(refused).retryAfterMs()));
		}
	}

	/**
	 * The first call and the first stream in a JVM load and link the SDK's parsers, which can take longer than a
	 * timeout or a tenant's refill under test: those tests call this first.
	 */
	private static void warmUp() {
		OpenAiChatModel model = chatModel(options(3));
		assertThat(model.call(new Prompt("Warm up.")).getResult().getOutput().getText())
			.isEqualTo(MockAnswer.words(3));
		assertThat(text(model.stream(new Prompt("Warm up the stream.")).collectList().block(Duration.ofSeconds(30))))
			.isEqualTo(MockAnswer.words(3));
	}

	private static OpenAiChatOptions options(int maxTokens) {
		return OpenAiChatOptions.builder()
			.baseUrl(gateway.url("/v1"))
			.apiKey(SampleGateway.DEMO_KEY)
			.model("gpt-4o")
			.maxTokens(maxTokens)
			.build();
	}

	private static OpenAiChatModel chatModel(OpenAiChatOptions options) {
		return OpenAiChatModel.builder().options(options).build();
	}

	private static List<Throwable> causes(Throwable failure) {
		List<Throwable> chain = new ArrayList<>();
		for (Throwable cause = failure; cause != null && !chain.contains(cause); cause = cause.getCause()) {
			chain.add(cause);
		}
		return chain;
	}

	private static String text(List<ChatResponse> responses) {
		return responses.stream()
			.filter(response -> response.getResult() != null)
			.map(response -> response.getResult().getOutput().getText())
			.filter(Objects::nonNull)
			.collect(Collectors.joining());
	}

	/** Every HTTP attempt Spring AI makes (the SDK's retries included), with what the gateway answered. */
	static final class Attempts implements Interceptor {

		private final List<Attempt> attempts = new CopyOnWriteArrayList<>();

		@Override
		public Response intercept(Chain chain) throws IOException {
			long sent = System.nanoTime();
			Response response = chain.proceed(chain.request());
			String retryAfterMs = response.header("retry-after-ms");
			String query = chain.request().url().encodedQuery();
			attempts.add(new Attempt(chain.request().url().encodedPath() + (query == null ? "" : "?" + query),
					chain.request().header("api-key") != null, response.code(),
					retryAfterMs == null ? -1 : Long.parseLong(retryAfterMs), response.header("x-spillway-cache"), sent,
					System.nanoTime()));
			return response;
		}

		List<Attempt> all() {
			return List.copyOf(attempts);
		}

	}

	record Attempt(String path, boolean apiKeyHeader, int status, long retryAfterMs, String cacheOutcome,
			long sentNanos, long answeredNanos) {
	}

}
