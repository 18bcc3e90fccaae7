package dev.spillway.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The sample gateway as the README runs it, {@code java -jar spillway-sample-gateway.jar}, in a process of its own
 * (embedded Redis and simulated deployments included) on free loopback ports. Its output goes to
 * {@code target/sample-gateway-<name>.log}.
 */
final class SampleGateway implements AutoCloseable {

	/** The sample's demo tenant key, printed in the README. */
	static final String DEMO_KEY = "sk-spillway-demo";

	private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

	private final Process process;

	private final int port;

	private final int managementPort;

	private final Path log;

	private final Thread stopOnExit;

	private SampleGateway(Process process, int port, int managementPort, Path log) {
		this.process = process;
		this.port = port;
		this.managementPort = managementPort;
		this.log = log;
		// A test JVM that ends without @AfterAll (a crash, an interrupted run) must not leave the gateway running.
		this.stopOnExit = new Thread(process::destroy, "stop-sample-gateway");
		Runtime.getRuntime().addShutdownHook(stopOnExit);
	}

	/** Starts the sample with extra command-line properties ({@code --name=value}) and waits until it is healthy. */
	static SampleGateway start(String name, String... properties) throws IOException, InterruptedException {
		Path jar = Path.of(System.getProperty("spillway.sample.jar", "../sample-gateway/target/spillway-sample-gateway.jar"));
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException("No sample gateway jar at " + jar.toAbsolutePath()
					+ ": build it with the tests, ./mvnw -B -pl client-tests -am verify");
		}
		int port = freePort();
		int managementPort = freePort();
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-jar", jar.toString(), "--server.port=" + port, "--management.server.port=" + managementPort));
		command.addAll(List.of(properties));
		Path log = Path.of("target", "sample-gateway-" + name + ".log");
		Files.createDirectories(log.getParent());
		Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		SampleGateway gateway = new SampleGateway(process, port, managementPort, log);
		try {
			gateway.awaitHealthy();
		}
		catch (RuntimeException | IOException | InterruptedException ex) {
			gateway.close();
			throw ex;
		}
		return gateway;
	}

	/** An address on the gateway's port, e.g. {@code url("/v1")}. */
	String url(String path) {
		return "http://127.0.0.1:" + port + path;
	}

	private void awaitHealthy() throws IOException, InterruptedException {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health"))
			.timeout(Duration.ofSeconds(5))
			.build();
		long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			if (!process.isAlive()) {
				throw new IllegalStateException("The sample gateway exited with " + process.exitValue() + ":\n" + tail());
			}
			try {
				if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
					return;
				}
			}
			catch (IOException notListeningYet) {
				// Still starting.
			}
			Thread.sleep(250);
		}
		throw new IllegalStateException("The sample gateway was not healthy within " + START_TIMEOUT + ":\n" + tail());
	}

	private String tail() throws IOException {
		List<String> lines = Files.readAllLines(log);
		return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
	}

	@Override
	public void close() {
		process.destroy();
		try {
			if (!process.waitFor(20, TimeUnit.SECONDS)) {
				process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			process.destroyForcibly();
			Thread.currentThread().interrupt();
		}
		try {
			Runtime.getRuntime().removeShutdownHook(stopOnExit);
		}
		catch (IllegalStateException shuttingDown) {
			// The hook is running or about to: nothing left to undo.
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
