package dev.spillway.gateway.request;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.BackendProperties.AuthHeader;
import dev.spillway.gateway.core.BackendProperties.AzureForm;
import dev.spillway.gateway.core.BackendProperties.BackendType;
import dev.spillway.gateway.wire.LlmOperation;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How one request is addressed and worded per backend type: the OpenAI form appends the operation's path, the Azure
 * form puts the deployment (encoded) in the path and the api-version (backend's, else client's, else the default,
 * encoded) in the query; the body is the client's bytes unless the OpenAI form needs another model or a stream must
 * ask for its usage chunk, and the client's body is never changed.
 */
class BackendRequestsTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final String STREAMING = "{\"model\":\"gpt-4o\",\"stream\":true,"
			+ "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

	static final String PLAIN = "{ \"model\": \"gpt-4o\",  \"messages\": [{\"role\":\"user\",\"content\":\"hi\"}] }";

	private final BackendRequests requests = new BackendRequests(json);

	@Test
	void theOpenAiFormAppendsTheOperationsPathToTheBaseUrlWithoutDoublingASlash() {
		LlmRequest chat = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null, PLAIN);
		LlmRequest embeddings = request(LlmOperation.EMBEDDINGS, "text-embedding-3-small", null,
				"{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}");

		assertThat(requests.url(openAi("https://api.openai.com/v1/", null, false), chat))
			.isEqualTo(URI.create("https://api.openai.com/v1/chat/completions"));
		assertThat(requests.url(openAi("https://api.openai.com/v1", null, false), embeddings))
			.isEqualTo(URI.create("https://api.openai.com/v1/embeddings"));
	}

	@Test
	void theAzureFormNamesTheDeploymentInThePathAndTheApiVersionInTheQuery() {
		LlmRequest chat = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null, PLAIN);

		assertThat(requests.url(azure("https://acme.openai.azure.com/", "gpt4o-prod", "2025-01-01-preview"), chat))
			.isEqualTo(URI.create("https://acme.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions"
					+ "?api-version=2025-01-01-preview"));
	}

	@Test
	void anAzureBackendWithoutADeploymentUsesTheRequestedNameEncodedAsOnePathSegment() {
		LlmRequest completions = request(LlmOperation.COMPLETIONS, "my model/v2", null,
				"{\"model\":\"my model/v2\",\"prompt\":\"hi\"}");

		assertThat(requests.url(azure("https://acme.example/proxy", null, null), completions).toString()).isEqualTo(
				"https://acme.example/proxy/openai/deployments/my%20model%2Fv2/completions?api-version=2024-10-21");
	}

	@Test
	void theBackendsApiVersionWinsThenTheClientsThenTheDefault() {
		LlmRequest withVersion = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", "2024-06-01", PLAIN);
		LlmRequest withoutVersion = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null, PLAIN);

		assertThat(requests.url(azure("https://a.example", "d", "2025-01-01-preview"), withVersion).getQuery())
			.isEqualTo("api-version=2025-01-01-preview");
		assertThat(requests.url(azure("https://a.example", "d", null), withVersion).getQuery())
			.isEqualTo("api-version=2024-06-01");
		assertThat(requests.url(azure("https://a.example", "d", null), withoutVersion).getQuery())
			.isEqualTo("api-version=" + BackendDefinition.DEFAULT_API_VERSION);
	}

	@Test
	void aClientsApiVersionCannotAddQueryParameters() {
		LlmRequest sneaky = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", "2024-06-01&key=x", PLAIN);

		assertThat(requests.url(azure("https://a.example", "d", null), sneaky).getRawQuery())
			.isEqualTo("api-version=2024-06-01%26key%3Dx");
	}

	@Test
	void theClientsBytesGoUnchangedWhenNothingNeedsRewording() {
		LlmRequest plain = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null, PLAIN);

		assertThat(requests.body(openAi("https://o.example", null, true), plain)).isSameAs(plain.bodyBytes());
		assertThat(requests.body(openAi("https://o.example", "gpt-4o", true), plain)).isSameAs(plain.bodyBytes());
		assertThat(requests.body(azure("https://a.example", "other-deployment", null), plain))
			.isSameAs(plain.bodyBytes());
	}

	@Test
	void anOpenAiBackendWithItsOwnModelGetsThatModelAndTheRestUnchanged() {
		LlmRequest plain = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null, PLAIN);

		JsonNode sent = sent(requests.body(openAi("https://o.example", "gpt-4o-2024-08-06", false), plain));

		assertThat(sent.path("model").asString()).isEqualTo("gpt-4o-2024-08-06");
		assertThat(sent.path("messages")).isEqualTo(plain.body().path("messages"));
		assertThat(plain.body().path("model").asString()).isEqualTo("gpt-4o");
	}

	@Test
	void anAzureFormRequestWithoutAModelFieldGetsTheRequestedNameForAnOpenAiBackend() {
		LlmRequest azureForm = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null,
				"{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

		JsonNode sent = sent(requests.body(openAi("https://o.example", null, false), azureForm));

		assertThat(sent.path("model").asString()).isEqualTo("gpt-4o");
		assertThat(azureForm.body().has("model")).isFalse();
	}

	@Test
	void aStreamAsksForItsUsageChunkKeepingTheClientsOtherStreamOptions() {
		LlmRequest stream = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null,
				STREAMING.replace("\"stream\":true",
						"\"stream\":true,\"stream_options\":{\"include_obfuscation\":false}"));

		JsonNode sent = sent(requests.body(azure("https://a.example", "d", null), stream));

		assertThat(sent.path("stream_options").path("include_usage").asBoolean(false)).isTrue();
		assertThat(sent.path("stream_options").path("include_obfuscation").isBoolean()).isTrue();
		assertThat(sent.path("model").asString()).isEqualTo("gpt-4o");
		assertThat(stream.body().path("stream_options").has("include_usage")).isFalse();
	}

	@Test
	void theUsageChunkAndTheBackendsModelAreBothWrittenIntoOneBody() {
		LlmRequest stream = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null, STREAMING);

		JsonNode sent = sent(requests.body(openAi("https://o.example", "gpt-4o-2024-08-06", true), stream));

		assertThat(sent.path("model").asString()).isEqualTo("gpt-4o-2024-08-06");
		assertThat(sent.path("stream_options").path("include_usage").asBoolean(false)).isTrue();
	}

	@Test
	void usageIsNotAskedForWhenTheBackendIsNotToBeAskedTheRequestDoesNotStreamOrTheClientAlreadyAsked() {
		LlmRequest stream = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null, STREAMING);
		LlmRequest plain = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null, PLAIN);
		LlmRequest asked = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", null,
				STREAMING.replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

		assertThat(requests.body(openAi("https://o.example", null, false), stream)).isSameAs(stream.bodyBytes());
		assertThat(requests.body(openAi("https://o.example", null, true), plain)).isSameAs(plain.bodyBytes());
		assertThat(requests.body(openAi("https://o.example", null, true), asked)).isSameAs(asked.bodyBytes());
	}

	@Test
	void theAzureV1FormPutsTheOperationUnderOpenaiV1AndTheDeploymentInTheBody() {
		LlmRequest chat = request(LlmOperation.CHAT_COMPLETIONS, "gpt-4o", "2024-06-01", PLAIN);
		BackendDefinition v1 = azureV1("https://acme.openai.azure.com/", "gpt4o-prod");

		assertThat(requests.url(v1, chat)).isEqualTo(URI.create("https://acme.openai.azure.com/openai/v1/chat/completions"));
		assertThat(sent(requests.body(v1, chat)).path("model").asString()).isEqualTo("gpt4o-prod");
	}

	@Test
	void responsesGoToTheResourceInTheLegacyAzureFormWithTheirOwnApiVersion() {
		LlmRequest responses = request(LlmOperation.RESPONSES, "gpt-4o", "2024-10-21",
				"{\"model\":\"gpt-4o\",\"input\":\"hi\"}");
		BackendDefinition legacy = azure("https://acme.openai.azure.com", "gpt4o-prod", "2024-10-21");

		assertThat(requests.url(legacy, responses))
			.isEqualTo(URI.create("https://acme.openai.azure.com/openai/responses?api-version=2025-04-01-preview"));
		assertThat(sent(requests.body(legacy, responses)).path("model").asString()).isEqualTo("gpt4o-prod");
		assertThat(requests.url(openAi("https://api.openai.com/v1", null, true), responses))
			.isEqualTo(URI.create("https://api.openai.com/v1/responses"));
		// Usage always comes in a Responses stream's terminal event: nothing is added to the body.
		LlmRequest streamed = request(LlmOperation.RESPONSES, "gpt-4o", null,
				"{\"model\":\"gpt-4o\",\"stream\":true,\"input\":\"hi\"}");
		assertThat(requests.body(openAi("https://o.example", null, true), streamed)).isSameAs(streamed.bodyBytes());
	}

	private static BackendDefinition azureV1(String url, String deployment) {
		return new BackendDefinition("gpt", "azure", URI.create(url), BackendType.AZURE, deployment, null, null, "k-1",
				AuthHeader.API_KEY, true, 1, 1, -1, AzureForm.V1, "unused", false);
	}

	private static JsonNode sent(byte[] body) {
		return json.readTree(new String(body, StandardCharsets.UTF_8));
	}

	private static LlmRequest request(LlmOperation operation, String model, String apiVersion, String body) {
		ObjectNode parsed = (ObjectNode) json.readTree(body);
		return new LlmRequest(operation, false, model, apiVersion, operation.format().stream(parsed),
				operation.format().clientWantsUsage(parsed), parsed, body.getBytes(StandardCharsets.UTF_8), null, 10,
				100);
	}

	private static BackendDefinition openAi(String url, String model, boolean streamUsage) {
		return new BackendDefinition("gpt", "openai", URI.create(url), BackendType.OPENAI, null, model, null, "sk-1",
				AuthHeader.BEARER, streamUsage, 1, 1, -1);
	}

	private static BackendDefinition azure(String url, String deployment, String apiVersion) {
		return new BackendDefinition("gpt", "azure", URI.create(url), BackendType.AZURE, deployment, null, apiVersion,
				"k-1", AuthHeader.API_KEY, true, 1, 1, -1);
	}

}
