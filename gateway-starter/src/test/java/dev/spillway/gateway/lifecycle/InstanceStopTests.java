package dev.spillway.gateway.lifecycle;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One of two gateway instances (separate JVMs on one Redis) is stopped the way an orchestrator stops it (SIGTERM)
 * while a stream runs through it: the stream is drained to its end (Spring Boot's graceful shutdown), the stopped
 * instance exits, and the other instance goes on serving.
 */
class InstanceStopTests {

	private final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o")
		.withInterTokenDelay(Duration.ofMillis(150))
		.withCompletionTokens(20));

	private final List<Process> instances = new ArrayList<>();

	@AfterEach
	void stop() {
		instances.forEach(Process::destroyForcibly);
		backend.close();
	}

	@Test
	void aStoppedInstanceDrainsItsStreamsAndTheOtherServesOn() throws Exception {
		String prefix = "stop-" + System.nanoTime();
		int portA = TestRedis.freePort();
		int portB = TestRedis.freePort();
		Process a = start(portA, prefix);
		Process b = start(portB, prefix);
		GatewayClient clientA = new GatewayClient(portA);
		GatewayClient clientB = new GatewayClient(portB);
		awaitServing(clientA);
		awaitServing(clientB);

		AtomicBoolean stopped = new AtomicBoolean();
		List<GatewayClient.Chunk> stream = clientA.stream("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"),
				"{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Tell a story\"}]}")
			.doOnNext(chunk -> {
				if (stopped.compareAndSet(false, true)) {
					a.destroy(); // SIGTERM, as Kubernetes sends it
				}
			})
			.collectList()
			.block(Duration.ofSeconds(30));

		assertThat(stopped).isTrue();
		assertThat(GatewayClient.events(stream)).hasSizeGreaterThan(20).last().isEqualTo("[DONE]");
		assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
		assertThat(clientB.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"),
				"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Still there?\"}]}").status())
			.isEqualTo(200);
		assertThat(b.isAlive()).isTrue();
	}

	private void awaitServing(GatewayClient client) {
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> client
			.post("/v1/chat/completions", Map.of("Authorization", "Bearer sk-acme"),
					"{\"model\":\"gpt-4o\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"up?\"}]}")
			.status() == 200);
	}

	private Process start(int port, String prefix) {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		try {
			return register(new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
					TestGatewayApplication.class.getName(), "--server.port=" + port,
					"--spring.data.redis.url=" + TestRedis.sharedUrl(), "--spillway.shared-state.key-prefix=" + prefix,
					"--spillway.pools.gpt.backends[0].id=mock", "--spillway.pools.gpt.backends[0].type=azure",
					"--spillway.pools.gpt.backends[0].deployment=gpt-4o",
					"--spillway.pools.gpt.backends[0].url=" + backend.baseUrl(), "--logging.level.root=WARN")
				.redirectErrorStream(true)
				.redirectOutput(new File(System.getProperty("java.io.tmpdir"), prefix + "-" + port + ".log"))
				.start());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private Process register(Process process) {
		instances.add(process);
		return process;
	}

}
