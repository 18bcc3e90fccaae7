package dev.spillway.benchmarks.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import redis.embedded.RedisServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.benchmarks.Loopback;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

/**
 * The soak run (issue #8): the sample gateway as its own JVM, steady mixed load (JSON and streams, repeated and new
 * questions) against simulated deployments that throttle (a PTU with a small per-minute budget, a pay-as-you-go one
 * with a larger one), and Redis stopped for 15 s in the middle. Every answer is classified: a success, a well-formed
 * OpenAI-style error, or malformed (anything else: a reset, a hang past the timeout, a body that is neither). Heap
 * after a full collection, RSS, file descriptors and sockets of the gateway are sampled throughout. Run from the
 * repository root after {@code ./mvnw -B -DskipTests package}:
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.spillway.benchmarks.sidebyside.SoakRun [minutes] [requests-per-second]</pre>
 */
public final class SoakRun {

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final Path OUT = Path.of("benchmarks", "target", "soak");

	private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();

	private SoakRun() {
	}

	public static void main(String[] args) throws Exception {
		int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 5;
		int rate = args.length > 1 ? Integer.parseInt(args[1]) : 100;
		new SoakRun().run(Duration.ofMinutes(minutes), rate);
	}

	private void run(Duration duration, int rate) throws Exception {
		Files.createDirectories(OUT);
		int redisPort = Loopback.freePort();
		RedisServer redis = Loopback.redis(redisPort);
		redis.start();
		MockOpenAiServer deployments = MockOpenAiServer.start("127.0.0.1", 0,
				List.of(MockDeployment.unlimited("gpt-4o-ptu").withTokensPerMinute(30_000),
						MockDeployment.unlimited("gpt-4o-paygo").withTokensPerMinute(150_000)));
		int port = Loopback.freePort();
		BenchProcess gateway = BenchProcess.start("soak-gateway", port, OUT.resolve("gateway.log"),
				List.of("-Xms256m", "-Xmx1g"),
				List.of("-jar", Path.of("sample-gateway", "target", "spillway-sample-gateway.jar").toString(),
						"--server.port=" + port, "--management.server.port=0", "--spillway.demo.embedded=false",
						BenchProcess.TENANT_KEY_PROPERTY,
						"--spillway.demo.ptu-url=" + deployments.baseUrl(),
						"--spillway.demo.paygo-url=" + deployments.baseUrl(),
						"--spring.data.redis.url=redis://127.0.0.1:" + redisPort,
						"--spillway.limits.tiers.standard.tokens-per-minute=100000000",
						"--spillway.limits.tiers.standard.requests-per-minute=1000000",
						"--logging.level.dev.spillway.gateway.request=WARN"));
		ConnectionProvider connections = ConnectionProvider.builder("soak").maxConnections(2000)
			.maxIdleTime(Duration.ofSeconds(30)).evictInBackground(Duration.ofSeconds(10)).pendingAcquireMaxCount(-1)
			.build();
		HttpClient client = HttpClient.create(connections).baseUrl(gateway.baseUrl())
			.responseTimeout(Duration.ofSeconds(60))
			.headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + BenchProcess.TENANT_KEY)
				.set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
		List<String> samples = new ArrayList<>();
		try {
			gateway.awaitReady(BenchProcess.TENANT_KEY);
			log("gateway ready; " + duration.toMinutes() + " min at " + rate + " requests/s");
			long start = System.nanoTime();
			Disposable load = Flux.interval(Duration.ofNanos(1_000_000_000L / rate))
				.onBackpressureDrop()
				.flatMap(tick -> request(client), 4096)
				.subscribe();
			long end = start + duration.toNanos();
			long redisDownAt = start + duration.toNanos() / 2;
			boolean redisRestarted = false;
			while (System.nanoTime() < end) {
				long elapsed = (System.nanoTime() - start) / 1_000_000_000L;
				if (!redisRestarted && System.nanoTime() >= redisDownAt) {
					log("stopping Redis for 15 s");
					redis.stop();
					LoadGenerator.sleep(15_000);
					redis = Loopback.redis(redisPort);
					redis.start();
					redisRestarted = true;
					log("Redis is back");
					continue;
				}
				String sample = String.format(Locale.ROOT, "%4d s  heap %.0f MiB  rss %.0f MiB  fds %d  sockets %d  %s",
						elapsed, gateway.liveHeapMib(), gateway.rssMib(), descriptors(gateway, false),
						descriptors(gateway, true), new java.util.TreeMap<>(outcomes));
				samples.add(sample);
				log(sample);
				LoadGenerator.sleep(20_000);
			}
			load.dispose();
			LoadGenerator.sleep(70_000);
			String last = String.format(Locale.ROOT, "end     heap %.0f MiB  rss %.0f MiB  fds %d  sockets %d  %s",
					gateway.liveHeapMib(), gateway.rssMib(), descriptors(gateway, false), descriptors(gateway, true),
					new java.util.TreeMap<>(outcomes));
			samples.add(last);
			log(last);
			String backends = String.format(Locale.ROOT, "last 10,000 backend requests: PTU %d, pay-as-you-go %d (the PTU's budget of "
					+ "30,000 tokens a minute throttles it; the gateway spills to pay-as-you-go)",
					deployments.requestCount("gpt-4o-ptu"), deployments.requestCount("gpt-4o-paygo"));
			samples.add(backends);
			log(backends);
		}
		finally {
			connections.dispose();
			gateway.close();
			deployments.close();
			redis.stop();
		}
		Files.write(OUT.resolve("report.txt"), samples, StandardCharsets.UTF_8);
	}

	private Mono<Void> request(HttpClient client) {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		boolean stream = random.nextInt(10) < 3;
		String question = random.nextBoolean() ? "What is the capital of country number " + random.nextInt(50) + "?"
				: "Tell me something new, number " + random.nextLong();
		String body = "{\"model\":\"gpt-4o\",\"stream\":" + stream + ",\"max_tokens\":24,"
				+ "\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
		return client.headers(h -> h.set("x-spillway-max-wait", "0"))
			.post()
			.uri("/v1/chat/completions")
			.send(ByteBufFlux.fromString(Mono.just(body)))
			.responseSingle((response, content) -> content.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
				.map(text -> classify(response.status().code(), stream, text)))
			.onErrorResume(failure -> Mono.just("malformed:" + failure.getClass().getSimpleName()))
			.doOnNext(outcome -> outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet())
			.then();
	}

	/** {@code ok}, {@code error:<status>:<code>} for a well-formed error, or {@code malformed:...}. */
	static String classify(int status, boolean stream, String body) {
		try {
			if (status == 200 && stream) {
				if (body.trim().endsWith("data: [DONE]")) {
					return "ok";
				}
				return body.contains("data: {\"error\"") ? "error:stream" : "malformed:stream";
			}
			JsonNode answer = json.readTree(body);
			if (status == 200) {
				return answer.path("choices").isArray() ? "ok" : "malformed:200";
			}
			JsonNode error = answer.path("error");
			return error.path("message").isString() ? "error:" + status + ":" + error.path("code").asString("")
					: "malformed:" + status;
		}
		catch (RuntimeException ex) {
			return "malformed:" + status;
		}
	}

	private static long descriptors(BenchProcess process, boolean socketsOnly) {
		try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
			return fds.filter(fd -> {
				if (!socketsOnly) {
					return true;
				}
				try {
					return Files.readSymbolicLink(fd).toString().startsWith("socket:");
				}
				catch (IOException ex) {
					return false;
				}
			}).count();
		}
		catch (IOException ex) {
			return -1;
		}
	}

	private static void log(String line) {
		System.out.println("[soak] " + line);
	}

}
