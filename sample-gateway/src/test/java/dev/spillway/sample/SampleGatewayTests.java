package dev.spillway.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The sample as a newcomer meets it: embedded Redis and simulated deployments, the demo key, a streamed answer. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleGatewayTests {

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Value("${server.address:}")
	String serverAddress;

	@Test
	void demoKeyStreamsAChatCompletion() throws Exception {
		HttpResponse<java.util.stream.Stream<String>> response = http.send(HttpRequest
			.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer sk-spillway-demo")
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("""
					{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hello"}]}"""))
			.timeout(Duration.ofSeconds(30))
			.build(), HttpResponse.BodyHandlers.ofLines());

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
		List<String> events = response.body().filter(line -> line.startsWith("data: ")).collect(Collectors.toList());
		assertThat(events).hasSizeGreaterThan(10).last().isEqualTo("data: [DONE]");
	}

	@Test
	void azureFormAndEmbeddingsWorkToo() throws Exception {
		HttpResponse<String> chat = post("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
				"{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
		HttpResponse<String> embeddings = post("/v1/embeddings",
				"{\"model\":\"text-embedding-3-small\",\"input\":\"Hi\"}");

		assertThat(chat.statusCode()).isEqualTo(200);
		assertThat(chat.body()).contains("\"object\":\"chat.completion\"");
		assertThat(embeddings.statusCode()).isEqualTo(200);
		assertThat(embeddings.body()).contains("\"embedding\"");
	}

	@Test
	void actuatorIsOnItsOwnPortOnlyAndItsHealthIncludesTheEmbeddedRedis() throws Exception {
		HttpResponse<String> health = http.send(HttpRequest
			.newBuilder(URI.create("http://localhost:" + managementPort + "/actuator/health"))
			.build(), HttpResponse.BodyHandlers.ofString());
		HttpResponse<String> prometheus = http.send(HttpRequest
			.newBuilder(URI.create("http://localhost:" + managementPort + "/actuator/prometheus"))
			.build(), HttpResponse.BodyHandlers.ofString());
		for (String path : List.of("/actuator/health", "/actuator/prometheus", "/actuator/spillway",
				"/actuator/spillway/demo", "/actuator/env")) {
			HttpResponse<String> onGatewayPort = http.send(HttpRequest
				.newBuilder(URI.create("http://localhost:" + port + path))
				.build(), HttpResponse.BodyHandlers.ofString());
			assertThat(onGatewayPort.statusCode()).as(path).isEqualTo(404);
		}
		assertThat(managementPort).isNotEqualTo(port);

		assertThat(health.statusCode()).isEqualTo(200);
		assertThat(health.body()).contains("\"redis\":{\"details\":{\"version\"");
		assertThat(prometheus.statusCode()).isEqualTo(200);
		assertThat(prometheus.body()).contains("jvm_memory_used_bytes");
	}

	@Test
	void theEmbeddedDemoListensOnLoopbackOnly() throws Exception {
		assertThat(serverAddress).isEqualTo("127.0.0.1");
		// The kernel's own table of listening sockets says where the gateway port is bound, without sending anything.
		Path ipv4 = Path.of("/proc/net/tcp");
		assumeTrue(Files.isReadable(ipv4), "needs Linux's /proc/net/tcp");
		List<String> listening = new ArrayList<>();
		for (Path table : List.of(ipv4, Path.of("/proc/net/tcp6"))) {
			if (Files.isReadable(table)) {
				Files.readAllLines(table).stream().skip(1).map(String::trim).map(line -> line.split("\\s+"))
					.filter(fields -> fields[3].equals("0A"))
					.map(fields -> fields[1])
					.filter(local -> Integer.parseInt(local.substring(local.indexOf(':') + 1), 16) == port)
					.forEach(listening::add);
			}
		}
		// 127.0.0.1 as IPv4, or as the IPv4-mapped IPv6 address when the JVM binds a dual-stack socket.
		String portHex = String.format("%04X", port);
		assertThat(listening).as("local addresses listening on the gateway port").isNotEmpty()
			.allSatisfy(local -> assertThat(local).isIn("0100007F:" + portHex,
					"0000000000000000FFFF00000100007F:" + portHex));
	}

	private HttpResponse<String> post(String path, String body) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("api-key", "sk-spillway-demo")
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.timeout(Duration.ofSeconds(30))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

}
