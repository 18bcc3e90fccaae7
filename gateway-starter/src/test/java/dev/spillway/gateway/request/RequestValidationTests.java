package dev.spillway.gateway.request;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad requests are answered at the gateway, OpenAI-style, and never reach a backend. */
@GatewayTest(properties = { "spillway.request.max-body-size=2KB", "spillway.pools.gpt.backends[0].id=mock",
		"spillway.pools.gpt.backends[0].type=azure",
		"spillway.pools.gpt.backends[0].url=${spillway.test.backend-url}", "spillway.pools.gpt.models=gpt-4o" })
class RequestValidationTests {

	static final MockOpenAiServer backend = MockOpenAiServer.startPermissive();

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	@LocalServerPort
	int port;

	@BeforeEach
	void clear() {
		backend.clearRecords();
	}

	@Test
	void malformedJsonIs400() {
		assertRejected(client().post("/v1/chat/completions", ACME, "{\"model\":\"gpt-4o\",\"messages\":[{"), 400,
				"invalid_json");
	}

	@Test
	void bodyThatIsNotAnObjectIs400() {
		assertRejected(client().post("/v1/chat/completions", ACME, "[1,2,3]"), 400, "invalid_json");
	}

	@Test
	void chatWithoutMessagesIs400NamingTheParameter() {
		Answer answer = client().post("/v1/chat/completions", ACME, "{\"model\":\"gpt-4o\"}");

		assertRejected(answer, 400, "missing_required_parameter");
		assertThat(answer.body()).contains("\"param\":\"messages\"");
	}

	@Test
	void openAiFormWithoutModelIs400() {
		assertRejected(client().post("/v1/chat/completions", ACME, "{\"messages\":[{\"role\":\"user\"}]}"), 400,
				"missing_required_parameter");
	}

	@Test
	void wrongTypesAre400() {
		assertRejected(client().post("/v1/chat/completions", ACME,
				"{\"model\":\"m\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\"}]}"), 400, "invalid_type");
		assertRejected(client().post("/v1/chat/completions", ACME,
				"{\"model\":\"m\",\"max_tokens\":-5,\"messages\":[{\"role\":\"user\"}]}"), 400, "invalid_type");
		assertRejected(client().post("/v1/chat/completions", ACME,
				"{\"model\":\"m\",\"max_tokens\":1e400,\"messages\":[{\"role\":\"user\"}]}"), 400, "invalid_type");
		assertRejected(client().post("/v1/chat/completions", ACME, "{\"model\":42,\"messages\":[{\"role\":\"user\"}]}"),
				400, "invalid_type");
		assertRejected(client().post("/v1/chat/completions", ACME, "{\"model\":\"m\",\"messages\":[\"hi\"]}"), 400,
				"invalid_type");
	}

	@Test
	void invalidUtf8Is400() {
		byte[] body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"XX\"}]}"
			.getBytes(StandardCharsets.UTF_8);
		int x = new String(body, StandardCharsets.UTF_8).indexOf("XX");
		body[x] = (byte) 0xC3;
		body[x + 1] = (byte) 0x28;
		assertRejected(client().post("/v1/chat/completions", ACME, "application/json", body), 400, "invalid_json");
	}

	@Test
	void bodyOverTheLimitIs413() {
		String big = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(3000) + "\"}]}";

		assertRejected(client().post("/v1/chat/completions", ACME, big), 413, "request_too_large");
	}

	@Test
	void wrongContentTypeIs415() {
		assertRejected(client().post("/v1/chat/completions", ACME, "text/plain",
				"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}".getBytes(StandardCharsets.UTF_8)), 415,
				"unsupported_media_type");
	}

	@Test
	void unknownOperationIs404() {
		assertRejected(client().post("/v1/files", ACME, "{}"), 404, "unknown_url");
	}

	@Test
	void validRequestStillGoesThrough() {
		Answer answer = client().post("/v1/chat/completions", ACME,
				"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

		assertThat(answer.status()).isEqualTo(200);
		assertThat(backend.requests()).hasSize(1);
	}

	private void assertRejected(Answer answer, int status, String code) {
		assertThat(answer.status()).isEqualTo(status);
		assertThat(answer.headers().get("Content-Type")).isEqualTo("application/json");
		assertThat(answer.body()).startsWith("{\"error\":{\"message\":")
			.contains("\"code\":\"" + code + "\"")
			.doesNotContain("Exception")
			.doesNotContain("\tat ");
		assertThat(backend.requests()).isEmpty();
	}

	private GatewayClient client() {
		return new GatewayClient(port);
	}

}
