package dev.spillway.gateway.streaming;

import java.util.stream.Collectors;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The official OpenAI Java SDK, pointed at the gateway, streams a complete answer. */
@GatewayTest(properties = { "spillway.pools.gpt.backends[0].id=eu", "spillway.pools.gpt.backends[0].type=azure",
		"spillway.pools.gpt.backends[0].deployment=gpt4o-eu",
		"spillway.pools.gpt.backends[0].url=${spillway.test.backend-url}" })
class OpenAiSdkStreamingTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt4o-eu")
		.withCompletionTokens(24));

	@LocalServerPort
	int port;

	@Test
	void sdkStreamsTheSameTextItWouldGetWithoutStreaming() {
		OpenAIClient client = client("sk-acme");
		ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
			.model("gpt-4o")
			.addUserMessage("Tell me about spillways")
			.build();

		String whole = client.chat().completions().create(params).choices().get(0).message().content().orElseThrow();
		String streamed;
		try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
			streamed = stream.stream()
				.flatMap(chunk -> chunk.choices().stream())
				.flatMap(choice -> choice.delta().content().stream())
				.collect(Collectors.joining());
		}

		assertThat(whole.split(" ")).hasSize(24);
		assertThat(streamed).isEqualTo(whole);
	}

	@Test
	void sdkSeesAnUnauthorizedErrorForAWrongKey() {
		ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
			.model("gpt-4o")
			.addUserMessage("Hi")
			.build();

		assertThatThrownBy(() -> client("sk-wrong").chat().completions().create(params))
			.isInstanceOf(UnauthorizedException.class)
			.hasMessageContaining("Incorrect API key");
	}

	private OpenAIClient client(String key) {
		return OpenAIOkHttpClient.builder().apiKey(key).baseUrl("http://127.0.0.1:" + port + "/v1").maxRetries(0).build();
	}

}
