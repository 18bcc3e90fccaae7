package dev.spillway.sample;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import com.openai.azure.AzureOpenAIServiceVersion;
import com.openai.azure.AzureUrlPathMode;
import com.openai.azure.credential.AzureApiKeyCredential;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.Sleeper;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseOutputText;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseTextDeltaEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import okhttp3.Interceptor;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The official OpenAI Java SDK ({@code com.openai:openai-java} 4.101.0) against the sample gateway: chat, streams
 * with and without usage, embeddings, the Responses API, the Azure legacy and v1 forms, the model list, a tenant's 429
 * and the cache, as docs/clients.md describes them.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
		"spillway.tenants.metered.keys[0]=" + OpenAiJavaClientTests.METERED_KEY,
		"spillway.tenants.metered.tier=one-a-minute",
		"spillway.limits.tiers.one-a-minute.requests-per-minute=1",
		"spillway.tenants.reader.keys[0]=" + OpenAiJavaClientTests.READER_KEY,
		"spillway.tenants.reader.tier=standard" })
class OpenAiJavaClientTests {

	static final String METERED_KEY = "sk-metered-openai-java";

	/** A tenant of its own for the cache replay, so that its counters see only that test's requests. */
	static final String READER_KEY = "sk-reader-openai-java";

	/** The simulated deployments write these words, one per completion token, over and over. */
	static final String[] WORDS = ("Spillway keeps every answer flowing while the busy deployments rest and the quiet "
			+ "ones take their turn so nobody waits longer than they must for a reply").split(" ");

	static final String FIVE_WORDS = words(5);

	static final String EIGHT_WORDS = words(8);

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Test
	void chatCompletionThroughTheV1BaseUrl() {
		ChatCompletion answer = client(PublicKeyGuard.DEMO_KEY).chat().completions()
			.create(chat("Name one use of a spillway.", 5));

		assertThat(answer.choices().get(0).message().content()).hasValue(FIVE_WORDS);
		CompletionUsage usage = answer.usage().orElseThrow();
		assertThat(usage.completionTokens()).isEqualTo(5);
		assertThat(usage.promptTokens()).isPositive();
		assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + 5);
	}

	@Test
	void aStreamCarriesUsageOnlyWhenTheClientAsksForIt() {
		OpenAIClient client = client(PublicKeyGuard.DEMO_KEY);
		ChatCompletionCreateParams withoutUsage = chat("Describe a dam in eight words.", 8);
		ChatCompletionCreateParams withUsage = withoutUsage.toBuilder()
			.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
			.build();

		List<ChatCompletionChunk> asked = chunks(client, withUsage);
		List<ChatCompletionChunk> notAsked = chunks(client, withoutUsage);

		assertThat(text(asked)).isEqualTo(EIGHT_WORDS);
		assertThat(text(notAsked)).isEqualTo(EIGHT_WORDS);
		List<CompletionUsage> usages = asked.stream().flatMap(chunk -> chunk.usage().stream()).toList();
		assertThat(usages).singleElement().satisfies(usage -> {
			assertThat(usage.completionTokens()).isEqualTo(8);
			assertThat(usage.promptTokens()).isPositive();
		});
		// The gateway asks the backend for usage on every stream (to settle the tenant's tokens) and takes it out again.
		assertThat(notAsked).allSatisfy(chunk -> assertThat(chunk.usage()).isEmpty());
	}

	@Test
	void theRequestTimeoutCoversTheWholeStream() {
		OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(v1()).apiKey(PublicKeyGuard.DEMO_KEY).maxRetries(0)
			.timeout(Duration.ofSeconds(1))
			.build();
		// A client's first stream loads and links its parsers, which can take longer than the timeout itself.
		assertThat(text(chunks(client, chat("Warm up.", 3)))).isEqualTo("Spillway keeps every");
		// The simulated deployments pace 60 tokens over at least 2.4 s, an event every 40-60 ms. Always a live
		// answer: a cached one would be replayed at once.
		ChatCompletionCreateParams params = chat("Tell me about spillways.", 60).toBuilder()
			.putAdditionalHeader("Cache-Control", "no-cache")
			.build();
		List<String> received = new CopyOnWriteArrayList<>();

		Throwable failure = catchThrowable(() -> {
			try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
				stream.stream()
					.flatMap(chunk -> chunk.choices().stream())
					.flatMap(choice -> choice.delta().content().stream())
					.forEach(received::add);
			}
		});

		// OkHttp's call timeout, which the SDK wraps: "Stream failed", caused by InterruptedIOException("timeout").
		assertThat(causes(failure)).anySatisfy(cause -> assertThat(cause).isInstanceOf(InterruptedIOException.class)
			.hasMessage("timeout"));
		String partial = String.join("", received);
		assertThat(partial).isNotEmpty();
		assertThat(partial.split(" ")).hasSizeLessThan(60);
		assertThat(words(60)).startsWith(partial);
	}

	@Test
	void embeddings() {
		CreateEmbeddingResponse answer = client(PublicKeyGuard.DEMO_KEY).embeddings().create(EmbeddingCreateParams
			.builder()
			.model("text-embedding-3-small")
			.input("How do spillways protect a dam?")
			.build());

		// The simulated model's vectors have 8 dimensions (a real text-embedding-3-small has 1536).
		assertThat(answer.data()).singleElement().satisfies(item -> assertThat(item.embedding()).hasSize(8));
		assertThat(answer.usage().promptTokens()).isPositive();
	}

	@Test
	void theAzureFormNeedsTheLegacyPathModeOnAHostThatIsNotAzures() {
		Attempts attempts = new Attempts();
		OpenAIClient legacy = azureClient(attempts).azureUrlPathMode(AzureUrlPathMode.LEGACY).build();
		OpenAIClient auto = azureClient(new Attempts()).build();
		ChatCompletionCreateParams params = chat("What does a stilling basin do?", 5);

		ChatCompletion answer = legacy.chat().completions().create(params);

		assertThat(answer.choices().get(0).message().content()).hasValue(FIVE_WORDS);
		assertThat(attempts.all()).singleElement().satisfies(attempt -> {
			assertThat(attempt.path()).isEqualTo("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21");
			assertThat(attempt.apiKeyHeader()).isTrue();
		});
		// Without it the SDK sees 127.0.0.1 as a plain OpenAI-compatible host and posts to /chat/completions.
		assertThatThrownBy(() -> auto.chat().completions().create(params)).isInstanceOf(NotFoundException.class);
	}

	@Test
	void aResponsesRequestPlainAndStreamed() {
		OpenAIClient client = client(PublicKeyGuard.DEMO_KEY);
		ResponseCreateParams params = ResponseCreateParams.builder()
			.model("gpt-4o")
			.instructions("Answer in five words.")
			.input("What does a spillway do?")
			.maxOutputTokens(5)
			.build();

		com.openai.models.responses.Response answer = client.responses().create(params);
		List<ResponseStreamEvent> events = new ArrayList<>();
		try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params)) {
			stream.stream().forEach(events::add);
		}

		assertThat(answer.output().stream()
			.flatMap(item -> item.message().stream())
			.flatMap(message -> message.content().stream())
			.flatMap(content -> content.outputText().stream())
			.map(ResponseOutputText::text)
			.collect(Collectors.joining())).isEqualTo(FIVE_WORDS);
		assertThat(answer.usage().orElseThrow().outputTokens()).isEqualTo(5);
		assertThat(events.stream()
			.flatMap(event -> event.outputTextDelta().stream())
			.map(ResponseTextDeltaEvent::delta)
			.collect(Collectors.joining())).isEqualTo(FIVE_WORDS);
		assertThat(events.get(events.size() - 1).completed()).hasValueSatisfying(
				completed -> assertThat(completed.response().usage().orElseThrow().outputTokens()).isEqualTo(5));
	}

	@Test
	void aStoredResponseIsRetrievedAndContinuedThroughTheBackendThatMadeIt() {
		OpenAIClient client = client(PublicKeyGuard.DEMO_KEY);
		com.openai.models.responses.Response first = client.responses().create(ResponseCreateParams.builder()
			.model("gpt-4o")
			.input("What is a spillway?")
			.maxOutputTokens(5)
			.build());

		com.openai.models.responses.Response again = client.responses().retrieve(first.id());
		com.openai.models.responses.Response followUp = client.responses().create(ResponseCreateParams.builder()
			.model("gpt-4o")
			.previousResponseId(first.id())
			.input("And a weir?")
			.maxOutputTokens(5)
			.build());

		assertThat(again.id()).isEqualTo(first.id());
		assertThat(followUp.id()).isNotEqualTo(first.id());
		assertThat(followUp.usage().orElseThrow().outputTokens()).isEqualTo(5);
	}

	@Test
	void theAzureV1FormServesChatEmbeddingsAndResponses() {
		OpenAIClient v1 = OpenAIOkHttpClient.builder()
			.baseUrl("http://127.0.0.1:" + port + "/openai/v1")
			.credential(AzureApiKeyCredential.create(PublicKeyGuard.DEMO_KEY))
			.azureUrlPathMode(AzureUrlPathMode.UNIFIED)
			.maxRetries(0)
			.build();

		ChatCompletion chat = v1.chat().completions().create(chat("What is a weir?", 5));
		CreateEmbeddingResponse embeddings = v1.embeddings().create(EmbeddingCreateParams.builder()
			.model("text-embedding-3-small")
			.input("weir")
			.build());
		com.openai.models.responses.Response response = v1.responses().create(ResponseCreateParams.builder()
			.model("gpt-4o")
			.input("What is a weir?")
			.maxOutputTokens(5)
			.build());

		assertThat(chat.choices().get(0).message().content()).hasValue(FIVE_WORDS);
		assertThat(embeddings.data()).singleElement().satisfies(item -> assertThat(item.embedding()).hasSize(8));
		assertThat(response.usage().orElseThrow().outputTokens()).isEqualTo(5);
	}

	@Test
	void theModelListNamesThePoolsModels() {
		List<String> models = client(PublicKeyGuard.DEMO_KEY).models().list().autoPager().stream()
			.map(Model::id)
			.toList();

		assertThat(models).containsExactly("gpt-4o", "text-embedding-3-small");
	}

	@Test
	void aTenantLimitIsRetriedAfterTheRetryAfterCappedAtEightSeconds() {
		spendTheMeteredTenantsRequest();
		List<Duration> sleeps = new CopyOnWriteArrayList<>();
		Attempts attempts = new Attempts();
		OpenAIClient client = OpenAIOkHttpClient.builder()
			.baseUrl(v1())
			.apiKey(METERED_KEY)
			.maxRetries(2)
			.sleeper(new RecordingSleeper(sleeps))
			.addInterceptor(attempts)
			.build();
		ChatCompletionCreateParams params = chat("Is this request over the limit?", 5);

		assertThatThrownBy(() -> client.chat().completions().create(params)).isInstanceOf(RateLimitException.class)
			.satisfies(refused -> assertThat(((RateLimitException) refused).headers().values("retry-after"))
				.isNotEmpty());
		assertThatThrownBy(() -> client.chat().completions().createStreaming(params).close())
			.isInstanceOf(RateLimitException.class);

		// Three attempts per call (maxRetries 2), streams too: the retries happen before the stream starts.
		assertThat(attempts.all()).hasSize(6).allSatisfy(attempt -> {
			assertThat(attempt.status()).isEqualTo(429);
			// One request a minute: the gateway says "come back in most of a minute" ...
			assertThat(attempt.retryAfterMs()).isGreaterThan(30_000);
		});
		// ... and the SDK waits what it says, up to its ceiling of 8 s (exponential backoff would be 0.5 s, 1 s).
		assertThat(sleeps).containsExactly(Duration.ofSeconds(8), Duration.ofSeconds(8), Duration.ofSeconds(8),
				Duration.ofSeconds(8));
	}

	@Test
	void noCacheSkipsTheLookupAndTheStore() {
		OpenAIClient client = client(PublicKeyGuard.DEMO_KEY);
		ChatCompletionCreateParams question = chat("Which spillway is the largest in the world?", 6);
		ChatCompletionCreateParams noCache = question.toBuilder().putAdditionalHeader("Cache-Control", "no-cache")
			.build();
		ChatCompletionCreateParams later = chat("Which dam has the tallest spillway?", 7);

		assertThat(cacheOutcome(client.chat().completions().withRawResponse().create(noCache))).isEqualTo("BYPASS");
		assertThat(cacheOutcome(client.chat().completions().withRawResponse().create(later))).isEqualTo("MISS");
		// Once a later answer is served from the cache, an earlier one would have been stored too.
		await().atMost(Duration.ofSeconds(10))
			.until(() -> cacheOutcome(client.chat().completions().withRawResponse().create(later)).equals("HIT"));

		assertThat(cacheOutcome(client.chat().completions().withRawResponse().create(question)))
			.as("the answer to the no-cache request was not stored").isEqualTo("MISS");
	}

	@Test
	void aCachedReplayCarriesTheOriginalUsageWhileTheTenantIsChargedNothing() {
		OpenAIClient client = client(READER_KEY);
		ChatCompletionCreateParams question = chat("What is the crest of a spillway?", 9);

		HttpResponseFor<ChatCompletion> first = client.chat().completions().withRawResponse().create(question);
		assertThat(cacheOutcome(first)).isEqualTo("MISS");
		CompletionUsage original = first.parse().usage().orElseThrow();
		// The store is announced to every instance asynchronously: ask again until the answer comes from the cache.
		int[] sent = { 1 };
		await().atMost(Duration.ofSeconds(10)).until(() -> {
			sent[0]++;
			return cacheOutcome(client.chat().completions().withRawResponse().create(question)).equals("HIT");
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> readerRequests() == sent[0]);
		double tokensBefore = readerTokens();

		HttpResponseFor<ChatCompletion> replay = client.chat().completions().withRawResponse().create(question);

		assertThat(cacheOutcome(replay)).isEqualTo("HIT");
		assertThat(replay.parse().id()).startsWith("chatcmpl-cache-");
		assertThat(replay.parse().choices().get(0).message().content())
			.isEqualTo(first.parse().choices().get(0).message().content());
		assertThat(replay.parse().usage()).hasValue(original);
		assertThat(tokensBefore).as("the live answer was charged").isGreaterThanOrEqualTo(original.totalTokens());
		// Settled as a request, with no tokens.
		await().atMost(Duration.ofSeconds(10)).until(() -> readerRequests() == sent[0] + 1);
		assertThat(readerTokens()).isEqualTo(tokensBefore);
	}

	private void spendTheMeteredTenantsRequest() {
		OpenAIClient once = OpenAIOkHttpClient.builder().baseUrl(v1()).apiKey(METERED_KEY).maxRetries(0).build();
		try {
			once.chat().completions().create(chat("Spend this minute's request.", 1));
		}
		catch (RateLimitException alreadySpent) {
			// An earlier test spent it: the tenant is refused for the rest of the minute either way.
		}
	}

	/** The simulated deployments' answer to a request for {@code completionTokens} tokens. */
	static String words(int completionTokens) {
		StringBuilder text = new StringBuilder();
		for (int i = 0; i < completionTokens; i++) {
			text.append(i == 0 ? "" : " ").append(WORDS[i % WORDS.length]);
		}
		return text.toString();
	}

	private static List<Throwable> causes(Throwable failure) {
		List<Throwable> chain = new ArrayList<>();
		for (Throwable cause = failure; cause != null && !chain.contains(cause); cause = cause.getCause()) {
			chain.add(cause);
		}
		return chain;
	}

	private double readerRequests() {
		return meters.find("spillway.requests").tag("tenant", "reader").counters().stream().mapToDouble(Counter::count)
			.sum();
	}

	private double readerTokens() {
		return meters.find("spillway.tokens").tag("tenant", "reader").counters().stream().mapToDouble(Counter::count)
			.sum();
	}

	private static String cacheOutcome(HttpResponseFor<ChatCompletion> answer) {
		return answer.headers().values("x-spillway-cache").stream().findFirst().orElse("none");
	}

	private static List<ChatCompletionChunk> chunks(OpenAIClient client, ChatCompletionCreateParams params) {
		try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
			return stream.stream().toList();
		}
	}

	private static String text(List<ChatCompletionChunk> chunks) {
		return chunks.stream()
			.flatMap(chunk -> chunk.choices().stream())
			.flatMap(choice -> choice.delta().content().stream())
			.collect(Collectors.joining());
	}

	private static ChatCompletionCreateParams chat(String question, int completionTokens) {
		return ChatCompletionCreateParams.builder()
			.model("gpt-4o")
			.addUserMessage(question)
			.maxCompletionTokens(completionTokens)
			.build();
	}

	private OpenAIClient client(String key) {
		return OpenAIOkHttpClient.builder().baseUrl(v1()).apiKey(key).maxRetries(0).build();
	}

	private OpenAIOkHttpClient.Builder azureClient(Attempts attempts) {
		return OpenAIOkHttpClient.builder()
			.baseUrl("http://127.0.0.1:" + port)
			.credential(AzureApiKeyCredential.create(PublicKeyGuard.DEMO_KEY))
			.azureServiceVersion(AzureOpenAIServiceVersion.getV2024_10_21())
			.maxRetries(0)
			.addInterceptor(attempts);
	}

	private String v1() {
		return "http://127.0.0.1:" + port + "/v1";
	}

	/** Every HTTP attempt the SDK makes, retries included, with what the gateway answered. */
	static final class Attempts implements Interceptor {

		private final List<Attempt> attempts = new CopyOnWriteArrayList<>();

		@Override
		public Response intercept(Chain chain) throws java.io.IOException {
			Response response = chain.proceed(chain.request());
			String retryAfterMs = response.header("retry-after-ms");
			attempts.add(new Attempt(chain.request().url().encodedPath()
					+ (chain.request().url().encodedQuery() == null ? "" : "?" + chain.request().url().encodedQuery()),
					chain.request().header("api-key") != null, response.code(),
					retryAfterMs == null ? -1 : Long.parseLong(retryAfterMs)));
			return response;
		}

		List<Attempt> all() {
			return List.copyOf(attempts);
		}

	}

	record Attempt(String path, boolean apiKeyHeader, int status, long retryAfterMs) {
	}

	/** Notes how long the SDK would wait before a retry, and retries at once. */
	record RecordingSleeper(List<Duration> sleeps) implements Sleeper {

		@Override
		public void sleep(Duration duration) {
			sleeps.add(duration);
		}

		@Override
		public CompletableFuture<Void> sleepAsync(Duration duration) {
			sleeps.add(duration);
			return CompletableFuture.completedFuture(null);
		}

		@Override
		public void close() {
		}

	}

}
