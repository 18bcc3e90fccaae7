package dev.spillway.gateway.observability;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.request.Answer;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;
import dev.spillway.mock.RecordedRequest;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Request ids travel client → gateway → backend → client and into the request log; secrets (backend keys, tenant
 * keys, keys that failed) never reach a log line or a response, whatever happens to the request.
 */
@ExtendWith(OutputCaptureExtension.class)
@GatewayTest(properties = { "spillway.pools.gpt.backends[0].id=mock", "spillway.pools.gpt.backends[0].type=azure",
		"spillway.pools.gpt.backends[0].deployment=gpt-4o",
		"spillway.pools.gpt.backends[0].url=${spillway.test.backend-url}",
		"spillway.pools.gpt.backends[0].api-key=" + RequestIdsAndSecretsTests.BACKEND_KEY,
		"logging.level.dev.spillway=DEBUG",
		"spillway.limits.tiers.standard.requests-per-minute=1000", "spillway.tenants.acme.tier=standard",
		"spillway.limits.tiers.tiny.requests-per-minute=1",
		"spillway.tenants.tiny.keys=" + RequestIdsAndSecretsTests.TINY_KEY, "spillway.tenants.tiny.tier=tiny" })
class RequestIdsAndSecretsTests {

	static final String BACKEND_KEY = "backend-key-7f3a9c55e1";

	static final String WRONG_KEY = "sk-wrong-secret-9d8e7f";

	static final String TINY_KEY = "sk-tiny-secret-4b2a1d";

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

	@LocalServerPort
	int port;

	@Test
	void theClientsRequestIdReachesTheBackendTheResponseAndTheLog(CapturedOutput output) {
		backend.clearRecords();
		GatewayClient.Answer answer = new GatewayClient(port).post("/v1/chat/completions",
				Map.of("Authorization", "Bearer sk-acme", "x-request-id", "client-id-42"), CHAT);

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-request-id")).isEqualTo("client-id-42");
		assertThat(backend.requests()).extracting(r -> r.header("x-request-id")).containsExactly("client-id-42");
		// The log line is written when the response has ended, which may be just after the client has it.
		await().untilAsserted(() -> assertThat(output.getOut()).contains("request_id=client-id-42 tenant=acme"));
	}

	@Test
	void aRequestWithoutUsableIdGetsOneOfItsOwn(CapturedOutput output) {
		backend.clearRecords();
		GatewayClient client = new GatewayClient(port);
		GatewayClient.Answer none = client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), CHAT);
		GatewayClient.Answer unusable = client.post("/v1/chat/completions",
				Map.of("Authorization", "Bearer sk-acme", "x-request-id", "id with spaces/and;more"), CHAT);

		for (GatewayClient.Answer answer : List.of(none, unusable)) {
			assertThat(answer.status()).isEqualTo(200);
			assertThat(answer.headers().get("x-request-id")).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
			await().untilAsserted(
					() -> assertThat(output.getOut()).contains("request_id=" + answer.headers().get("x-request-id")));
		}
		assertThat(backend.requests()).extracting(r -> r.header("x-request-id"))
			.containsExactly(none.headers().get("x-request-id"), unusable.headers().get("x-request-id"));
	}

	@Test
	void aModelNameCannotForgeFieldsOfTheRequestLogLine(CapturedOutput output) {
		GatewayClient.Answer answer = new GatewayClient(port).post("/v1/chat/completions",
				Map.of("Authorization", "Bearer sk-acme"),
				"{\"model\":\"gpt-4o stream=true status=500 tenant=\\\"globex\",\"messages\":[{\"role\":\"user\","
						+ "\"content\":\"Hi\"}]}");

		assertThat(answer.status()).isEqualTo(200);
		String id = answer.headers().get("x-request-id");
		await().untilAsserted(() -> assertThat(output.getOut()).contains("request_id=" + id));
		String line = output.getOut().lines().filter(l -> l.contains("request_id=" + id)).findFirst().orElseThrow();
		assertThat(line).contains("model=\"gpt-4o stream=true status=500 tenant=\\\"globex\" stream=false status=200")
			.doesNotContain("model=gpt-4o stream=true");
	}

	@Test
	void noKeyAppearsInLogsOrResponsesWhateverHappens(CapturedOutput output) {
		GatewayClient client = new GatewayClient(port);
		List<GatewayClient.Answer> answers = new ArrayList<>();
		answers.add(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), CHAT));
		answers.add(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer " + WRONG_KEY), CHAT));
		answers.add(client.post("/v1/chat/completions", Map.of("api-key", WRONG_KEY), CHAT));
		answers.add(client.post("/v1/chat/completions",
				Map.of("Authorization", "Bearer sk-acme", MockOpenAiServer.FAULT_HEADER, "status=500"), CHAT));
		answers.add(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer " + TINY_KEY), CHAT));
		answers.add(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer " + TINY_KEY), CHAT));
		answers.add(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"), "{not json"));
		answers.add(client.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"),
				"{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));

		assertThat(answers).extracting(GatewayClient.Answer::status).contains(200, 401, 400, 429, 500);
		assertThat(backend.requests()).extracting(RecordedRequest::headers)
			.allSatisfy(headers -> assertThat(headers.get("api-key")).isEqualTo(BACKEND_KEY));
		for (GatewayClient.Answer answer : answers) {
			String visible = answer.headers().toString() + answer.body();
			assertThat(visible).doesNotContain(BACKEND_KEY).doesNotContain(WRONG_KEY).doesNotContain("sk-acme")
				.doesNotContain(TINY_KEY);
		}
		String lastId = answers.get(answers.size() - 1).headers().get("x-request-id");
		await().untilAsserted(() -> assertThat(output.getOut()).contains("request_id=" + lastId));
		assertThat(output.getAll()).doesNotContain(BACKEND_KEY).doesNotContain(WRONG_KEY).doesNotContain("sk-acme")
			.doesNotContain(TINY_KEY);
	}

}
