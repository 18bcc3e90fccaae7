package dev.spillway.gateway.upstream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestPools;
import dev.spillway.gateway.TestWireMock;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A backend that compresses although the gateway asked for {@code identity}: the client gets the compressed bytes
 * intact with their {@code Content-Encoding}, and a JSON answer is still charged by its real usage.
 */
@GatewayTest(properties = { "spillway.tenants.zipped.keys=sk-zipped", "spillway.pools.gpt.models=gpt-4o" })
class CompressedBackendTests {

	static final WireMockServer backend = TestWireMock.started();

	static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
			+ "\"message\":{\"role\":\"assistant\",\"content\":\"Paris.\"},\"finish_reason\":\"stop\"}],"
			+ "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}}";

	static final String EVENTS = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Par\"}}]}\n\n"
			+ "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"is.\"},\"finish_reason\":\"stop\"}]}\n\n"
			+ "data: [DONE]\n\n";

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@DynamicPropertySource
	static void pool(DynamicPropertyRegistry registry) {
		TestPools.single(registry, backend.baseUrl(), "gpt-4o");
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@Test
	void aGzippedJsonAnswerReachesTheClientIntactAndIsChargedByItsUsage() throws Exception {
		backend.stubFor(WireMock.post(WireMock.urlPathMatching(".*/chat/completions"))
			.withRequestBody(WireMock.notContaining("\"stream\":true"))
			.willReturn(WireMock.aResponse().withHeader("Content-Type", "application/json")
				.withHeader("Content-Encoding", "gzip").withBody(gzip(ANSWER))));

		double promptBefore = tokens("prompt");
		double completionBefore = tokens("completion");

		HttpResponse<byte[]> response = send("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Capital of France?\"}]}");

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Encoding")).hasValue("gzip");
		assertThat(gunzip(response.body())).isEqualTo(ANSWER);
		await().untilAsserted(() -> assertThat(tokens("completion") - completionBefore).isEqualTo(7.0));
		assertThat(tokens("prompt") - promptBefore).isEqualTo(11.0);
	}

	@Test
	void aGzippedStreamReachesTheClientIntact() throws Exception {
		backend.stubFor(WireMock.post(WireMock.urlPathMatching(".*/chat/completions"))
			.withRequestBody(WireMock.containing("\"stream\":true"))
			.willReturn(WireMock.aResponse().withHeader("Content-Type", "text/event-stream")
				.withHeader("Content-Encoding", "gzip").withBody(gzip(EVENTS))));

		HttpResponse<byte[]> response = send("{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Capital?\"}]}");

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Encoding")).hasValue("gzip");
		assertThat(gunzip(response.body())).isEqualTo(EVENTS);
	}

	private double tokens(String type) {
		var counter = meters.find("spillway.tokens").tag("tenant", "zipped").tag("type", type).counter();
		return counter == null ? 0 : counter.count();
	}

	private HttpResponse<byte[]> send(String body) throws Exception {
		return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer sk-zipped")
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofByteArray());
	}

	static byte[] gzip(String text) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
			out.write(text.getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return bytes.toByteArray();
	}

	static String gunzip(byte[] bytes) throws IOException {
		try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

}
