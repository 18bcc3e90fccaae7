package dev.spillway.clients;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import dev.langchain4j.http.client.sse.ServerSentEvent;
import dev.langchain4j.http.client.sse.ServerSentEventContext;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiResponsesChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * LangChain4j 1.19.0 ({@code langchain4j-open-ai}, on its JDK HTTP client) against the sample gateway: chat,
 * streams with usage, embeddings, the Responses API model, a long stream under a short timeout, and a tenant's 429,
 * as docs/clients.md describes them.
 */
class LangChain4jClientTests {

	static final String METERED_KEY = "sk-metered-langchain4j";

	static SampleGateway gateway;

	@BeforeAll
	static void start() throws Exception {
		gateway = SampleGateway.start("langchain4j",
				"--spillway.tenants.metered.keys[0]=" + METERED_KEY,
				"--spillway.tenants.metered.tier=one-a-minute",
				"--spillway.limits.tiers.one-a-minute.requests-per-minute=1");
	}

	@AfterAll
	static void stop() {
		gateway.close();
	}

	@Test
	void chatThroughTheV1BaseUrl() {
		ChatResponse answer = OpenAiChatModel.builder()
			.baseUrl(gateway.url("/v1"))
			.apiKey(SampleGateway.DEMO_KEY)
			.modelName("gpt-4o")
			.maxCompletionTokens(5)
			.build()
			.chat(question("Name one use of a spillway."));

		assertThat(answer.aiMessage().text()).isEqualTo(MockAnswer.words(5));
		TokenUsage usage = answer.tokenUsage();
		assertThat(usage.outputTokenCount()).isEqualTo(5);
		assertThat(usage.inputTokenCount()).isPositive();
		assertThat(usage.totalTokenCount()).isEqualTo(usage.inputTokenCount() + 5);
	}

	@Test
	void aStreamCarriesTheTextAndTheUsageLangChain4jAlwaysAsksFor() throws Exception {
		Streamed streamed = stream(streamingModel(Duration.ofSeconds(60), 8).build(),
				"Describe a dam in eight words.");

		ChatResponse answer = streamed.completion.get(30, TimeUnit.SECONDS);
		assertThat(String.join("", streamed.partials)).isEqualTo(MockAnswer.words(8));
		assertThat(answer.aiMessage().text()).isEqualTo(MockAnswer.words(8));
		assertThat(answer.tokenUsage().outputTokenCount()).isEqualTo(8);
		assertThat(answer.tokenUsage().inputTokenCount()).isPositive();
	}

	@Test
	void itsTimeoutEndsAtTheResponseHeadersSoALongStreamIsNotCut() throws Exception {
		Attempts attempts = new Attempts();
		OpenAiStreamingChatModel model = streamingModel(Duration.ofSeconds(1), 60)
			// Always a live answer: a cached one would be replayed at once.
			.customHeaders(Map.of("Cache-Control", "no-cache"))
			.httpClientBuilder(attempts)
			.build();
		// The first stream in a JVM loads and links LangChain4j's parsers: the timed one should meet the stream alone.
		stream(streamingModel(Duration.ofSeconds(60), 3).build(), "Warm up.").completion.get(30, TimeUnit.SECONDS);

		// The simulated deployments pace 60 tokens over at least 2.4 s, far longer than the timeout.
		Streamed streamed = stream(model, "Tell me about spillways.");

		assertThat(streamed.completion.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo(MockAnswer.words(60));
		assertThat(streamed.partials).hasSizeGreaterThanOrEqualTo(60);
		assertThat(attempts.cacheOutcomes).containsExactly("BYPASS");
	}

	@Test
	void embeddings() {
		Response<Embedding> answer = OpenAiEmbeddingModel.builder()
			.baseUrl(gateway.url("/v1"))
			.apiKey(SampleGateway.DEMO_KEY)
			.modelName("text-embedding-3-small")
			.build()
			.embed("How do spillways protect a dam?");

		// The simulated model's vectors have 8 dimensions (a real text-embedding-3-small has 1536).
		assertThat(answer.content().vector()).hasSize(8);
		assertThat(answer.tokenUsage().inputTokenCount()).isPositive();
	}

	@Test
	void theResponsesApiModel() {
		ChatResponse answer = OpenAiResponsesChatModel.builder()
			.baseUrl(gateway.url("/v1"))
			.apiKey(SampleGateway.DEMO_KEY)
			.modelName("gpt-4o")
			.maxOutputTokens(5)
			.build()
			.chat(question("Name one use of a spillway."));

		assertThat(answer.aiMessage().text()).isEqualTo(MockAnswer.words(5));
		TokenUsage usage = answer.tokenUsage();
		assertThat(usage.outputTokenCount()).isEqualTo(5);
		assertThat(usage.inputTokenCount()).isPositive();
	}

	@Test
	void aTenantsRetryAfterIsNotWaitedForAndStreamsAreNotRetried() throws Exception {
		Duration refusedFor = TenantBudget.spend(gateway, METERED_KEY, Duration.ofSeconds(30));
		Attempts chatAttempts = new Attempts();
		Attempts streamAttempts = new Attempts();
		OpenAiChatModel chat = OpenAiChatModel.builder()
			.baseUrl(gateway.url("/v1"))
			.apiKey(METERED_KEY)
			.modelName("gpt-4o")
			.httpClientBuilder(chatAttempts)
			.build();
		OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder()
			.baseUrl(gateway.url("/v1"))
			.apiKey(METERED_KEY)
			.modelName("gpt-4o")
			.httpClientBuilder(streamAttempts)
			.build();

		assertThatThrownBy(() -> chat.chat(question("Is this request over the limit?")))
			.isInstanceOf(RateLimitException.class)
			.hasMessageContaining("rate_limit_exceeded")
			.hasMessageContaining("Please retry after the time in the Retry-After header.");
		Streamed streamed = stream(streaming, "Is this stream over the limit?");

		assertThat(streamed.completion).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
			.havingCause().isInstanceOf(RateLimitException.class);
		assertThat(streamAttempts.sentNanos).hasSize(1);
		// The default maxRetries 2: three attempts, 0.5 s and 0.75 s apart (plus up to 20% jitter), all within
		// what the gateway asked the client to wait. Its HTTP errors carry the status and body, not the headers.
		List<Long> sent = chatAttempts.sentNanos;
		assertThat(sent).hasSize(3);
		assertThat(Duration.ofNanos(sent.get(1) - sent.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(500));
		assertThat(Duration.ofNanos(sent.get(2) - sent.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(750));
		assertThat(Duration.ofNanos(sent.get(2) - sent.get(0))).isLessThan(refusedFor);
	}

	private static OpenAiStreamingChatModel.OpenAiStreamingChatModelBuilder streamingModel(Duration timeout,
			int completionTokens) {
		return OpenAiStreamingChatModel.builder()
			.baseUrl(gateway.url("/v1"))
			.apiKey(SampleGateway.DEMO_KEY)
			.modelName("gpt-4o")
			.maxCompletionTokens(completionTokens)
			.timeout(timeout);
	}

	private static ChatRequest question(String text) {
		return ChatRequest.builder().messages(UserMessage.from(text)).build();
	}

	private static Streamed stream(OpenAiStreamingChatModel model, String text) {
		Streamed streamed = new Streamed();
		model.chat(question(text), streamed);
		return streamed;
	}

	/** Collects a stream's pieces and its end. */
	static final class Streamed implements StreamingChatResponseHandler {

		final List<String> partials = new CopyOnWriteArrayList<>();

		final CompletableFuture<ChatResponse> completion = new CompletableFuture<>();

		@Override
		public void onPartialResponse(String partialResponse) {
			partials.add(partialResponse);
		}

		@Override
		public void onCompleteResponse(ChatResponse completeResponse) {
			completion.complete(completeResponse);
		}

		@Override
		public void onError(Throwable error) {
			completion.completeExceptionally(error);
		}

	}

	/**
	 * LangChain4j's JDK HTTP client, noting when each attempt is sent (LangChain4j's retries included) and the
	 * gateway's cache outcome of each answer that opened.
	 */
	static final class Attempts implements HttpClientBuilder {

		final List<Long> sentNanos = new CopyOnWriteArrayList<>();

		final List<String> cacheOutcomes = new CopyOnWriteArrayList<>();

		private final HttpClientBuilder jdk = JdkHttpClient.builder();

		@Override
		public Duration connectTimeout() {
			return jdk.connectTimeout();
		}

		@Override
		public HttpClientBuilder connectTimeout(Duration timeout) {
			jdk.connectTimeout(timeout);
			return this;
		}

		@Override
		public Duration readTimeout() {
			return jdk.readTimeout();
		}

		@Override
		public HttpClientBuilder readTimeout(Duration timeout) {
			jdk.readTimeout(timeout);
			return this;
		}

		@Override
		public HttpClient build() {
			HttpClient client = jdk.build();
			return new HttpClient() {

				@Override
				public SuccessfulHttpResponse execute(HttpRequest request) {
					sentNanos.add(System.nanoTime());
					return opened(client.execute(request));
				}

				@Override
				public void execute(HttpRequest request, ServerSentEventParser parser,
						ServerSentEventListener listener) {
					sentNanos.add(System.nanoTime());
					client.execute(request, parser, new ServerSentEventListener() {

						@Override
						public void onOpen(SuccessfulHttpResponse response) {
							listener.onOpen(opened(response));
						}

						@Override
						public void onEvent(ServerSentEvent event, ServerSentEventContext context) {
							listener.onEvent(event, context);
						}

						@Override
						public void onEvent(ServerSentEvent event) {
							listener.onEvent(event);
						}

						@Override
						public void onError(Throwable error) {
							listener.onError(error);
						}

						@Override
						public void onClose() {
							listener.onClose();
						}

					});
				}

			};
		}

		private SuccessfulHttpResponse opened(SuccessfulHttpResponse response) {
			response.headers().forEach((name, values) -> {
				if (name.equalsIgnoreCase("x-spillway-cache")) {
					cacheOutcomes.addAll(values);
				}
			});
			return response;
		}

	}

}
