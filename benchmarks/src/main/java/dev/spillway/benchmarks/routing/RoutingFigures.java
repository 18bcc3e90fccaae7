package dev.spillway.benchmarks.routing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

import redis.embedded.RedisServer;

import dev.spillway.benchmarks.Loopback;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The figures of issue 27, on the mock, two gateway instances in this JVM on one embedded Redis, each feature off and
 * on in the same run:
 * <ul>
 * <li>spill before the 429: a PTU of {@code capacity} tokens a minute (its budget used up when the measurement
 * starts) and an unlimited pay-as-you-go, under {@code load} times the PTU's capacity; 429s the PTU answered per
 * 1,000 requests, and the share of its capacity it served;</li>
 * <li>slow start: {@code rate} requests a second; the PTU refuses everything for 3 s; the requests it is sent in the
 * first second after its throttle ends.</li>
 * </ul>
 * {@code java -cp benchmarks/target/benchmarks.jar dev.spillway.benchmarks.routing.RoutingFigures seconds=60}; also
 * {@code instances=1} (gateway instances, 2 by default), {@code modes=proactive} (one row of the spill table by its
 * name), {@code phases=spill} or {@code phases=slow-start}.
 */
public final class RoutingFigures {

	private static final String PROMPT = "Summarise the quarterly report in three short sentences for the board.";

	private static final String BODY = "{\"model\":\"gpt-4o\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\","
			+ "\"content\":\"" + PROMPT + "\"}]}";

	/** What the mock charges a request: its body's length over four, plus max_tokens. */
	private static final int CHARGED_TOKENS = BODY.length() / 4 + 200;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private final int redisPort;

	private final int instances;

	private RoutingFigures(int redisPort, int instances) {
		this.redisPort = redisPort;
		this.instances = instances;
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> options = new HashMap<>(Map.of("seconds", "60", "capacity", "120000", "load", "1.2",
				"rate", "100", "phases", "spill,slow-start", "instances", "2", "modes", "all"));
		for (String arg : args) {
			String[] pair = arg.split("=", 2);
			options.put(pair[0], pair[1]);
		}
		int port = Loopback.freePort();
		RedisServer redis = Loopback.redis(port);
		redis.start();
		StringBuilder report = new StringBuilder("# Routing figures (issue 27)\n\n" + options + "\n\n");
		try {
			RoutingFigures figures = new RoutingFigures(port, Integer.parseInt(options.get("instances")));
			if (options.get("phases").contains("spill")) {
				int seconds = Integer.parseInt(options.get("seconds"));
				int capacity = Integer.parseInt(options.get("capacity"));
				double load = Double.parseDouble(options.get("load"));
				report.append("## Spill before the 429: ").append(load).append(" x the PTU's capacity of ")
					.append(capacity).append(" tokens/min, ").append(CHARGED_TOKENS).append(" tokens a request, ")
					.append(seconds).append(" s\n\n| headroom | requests | PTU 429s per 1,000 requests | served by the PTU "
							+ "| PTU's capacity served | client errors |\n| --- | --- | --- | --- | --- | --- |\n");
				Map<String, Map<String, Object>> modes = new LinkedHashMap<>();
				modes.put("reactive (default)", Map.of());
				modes.put("proactive", Map.of("spillway.routing.headroom.proactive", true));
				modes.put("proactive, estimate-margin 0.1", Map.of("spillway.routing.headroom.proactive", true,
						"spillway.routing.headroom.estimate-margin", 0.1));
				modes.put("proactive, utilization-level 95", Map.of("spillway.routing.headroom.proactive", true,
						"spillway.routing.headroom.utilization-level", 95));
				for (Map.Entry<String, Map<String, Object>> mode : modes.entrySet()) {
					if (!"all".equals(options.get("modes")) && !options.get("modes").equals(mode.getKey())) {
						continue;
					}
					report.append(figures.spill(mode.getKey(), mode.getValue(), seconds, capacity, load)).append('\n');
					System.out.println(report);
				}
			}
			if (options.get("phases").contains("slow-start")) {
				int rate = Integer.parseInt(options.get("rate"));
				report.append("\n## Slow start: ").append(rate).append(" requests/s over two instances; the PTU "
						+ "refuses everything for 3 s\n\n| slow start | requests to the PTU in the first second after "
						+ "its throttle | of all requests in that second |\n| --- | --- | --- |\n");
				report.append(figures.burst("off", Map.of(), rate)).append('\n');
				report.append(figures.burst("window 10s, initial-share 0.1",
						Map.of("spillway.routing.slow-start.window", "10s"), rate)).append('\n');
			}
		}
		finally {
			redis.stop();
		}
		Path out = Path.of("benchmarks", "target", "routing-figures.md");
		Files.createDirectories(out.getParent());
		Files.writeString(out, report);
		System.out.println(report);
		System.out.println("Written to " + out);
		System.exit(0);
	}

	private String spill(String name, Map<String, Object> settings, int seconds, int capacity, double load)
			throws Exception {
		try (MockOpenAiServer mock = MockOpenAiServer.start(new MockDeployment("ptu", capacity, 0, Duration.ZERO, 10),
				MockDeployment.unlimited("paygo").withInterTokenDelay(Duration.ZERO))) {
			List<ConfigurableApplicationContext> gateways = gateways(mock, settings);
			try {
				double perSecond = load * capacity / 60.0 / CHARGED_TOKENS;
				mock.useUpTokens("ptu");
				run(gateways, perSecond, 5);
				long refusedBefore = mock.throttledCount("ptu");
				List<Sent> sent = run(gateways, perSecond, seconds);
				long refused = mock.throttledCount("ptu") - refusedBefore;
				long ptu = sent.stream().filter(s -> "ptu".equals(s.backend())).count();
				long errors = sent.stream().filter(s -> s.status() != 200).count();
				double capacityServed = ptu * (double) CHARGED_TOKENS / (capacity * seconds / 60.0);
				return String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f %% | %.1f %% | %d |", name, sent.size(),
						1000.0 * refused / sent.size(), 100.0 * ptu / sent.size(), 100 * capacityServed, errors);
			}
			finally {
				gateways.forEach(ConfigurableApplicationContext::close);
			}
		}
	}

	private String burst(String name, Map<String, Object> settings, int rate) throws Exception {
		try (MockOpenAiServer mock = MockOpenAiServer.start(MockDeployment.unlimited("ptu").withInterTokenDelay(
				Duration.ZERO), MockDeployment.unlimited("paygo").withInterTokenDelay(Duration.ZERO))) {
			List<ConfigurableApplicationContext> gateways = gateways(mock, settings);
			try {
				run(gateways, rate, 3);
				CompletableFuture<List<Sent>> load = CompletableFuture.supplyAsync(() -> run(gateways, rate, 10));
				LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
				long throttleStarted = System.currentTimeMillis();
				mock.throttle("ptu", Duration.ofSeconds(3));
				List<Sent> sent = load.get();
				long recovered = sent.stream()
					.filter(s -> s.sentAtMillis() > throttleStarted + 500 && "ptu".equals(s.backend()))
					.mapToLong(Sent::sentAtMillis)
					.min()
					.orElse(Long.MAX_VALUE);
				long toPtu = sent.stream()
					.filter(s -> s.sentAtMillis() >= recovered && s.sentAtMillis() < recovered + 1000
							&& "ptu".equals(s.backend()))
					.count();
				long all = sent.stream()
					.filter(s -> s.sentAtMillis() >= recovered && s.sentAtMillis() < recovered + 1000)
					.count();
				return String.format(Locale.ROOT, "| %s | %d | %.0f %% |", name, toPtu, all == 0 ? 0 : 100.0 * toPtu / all);
			}
			finally {
				gateways.forEach(ConfigurableApplicationContext::close);
			}
		}
	}

	private record Sent(long sentAtMillis, int status, String backend) {
	}

	/** Open-loop load: {@code perSecond} requests a second for {@code seconds}, alternating between the gateways. */
	private List<Sent> run(List<ConfigurableApplicationContext> gateways, double perSecond, int seconds) {
		ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
		List<CompletableFuture<?>> pending = new ArrayList<>();
		long start = System.nanoTime();
		long total = Math.round(perSecond * seconds);
		for (long i = 0; i < total; i++) {
			long due = start + (long) (i * 1e9 / perSecond);
			long wait = due - System.nanoTime();
			if (wait > 0) {
				LockSupport.parkNanos(wait);
			}
			int port = ((WebServerApplicationContext) gateways.get((int) (i % gateways.size()))).getWebServer().getPort();
			long sentAt = System.currentTimeMillis();
			HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
				.header("Authorization", "Bearer sk-bench")
				.header("Content-Type", "application/json")
				.timeout(Duration.ofSeconds(30))
				.POST(HttpRequest.BodyPublishers.ofString(BODY))
				.build();
			pending.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
				.handle((response, failure) -> sent.add(failure != null ? new Sent(sentAt, -1, null)
						: new Sent(sentAt, response.statusCode(),
								response.headers().firstValue("x-spillway-backend").orElse(null)))));
		}
		CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
		return new ArrayList<>(sent);
	}

	private List<ConfigurableApplicationContext> gateways(MockOpenAiServer mock, Map<String, Object> settings) {
		String keyPrefix = "figures-" + UUID.randomUUID();
		List<ConfigurableApplicationContext> gateways = new ArrayList<>();
		for (int g = 0; g < instances; g++) {
			Map<String, Object> properties = new HashMap<>(settings);
			properties.put("server.port", 0);
			properties.put("spring.data.redis.url", "redis://127.0.0.1:" + redisPort);
			properties.put("spillway.shared-state.key-prefix", keyPrefix);
			properties.put("spring.cloud.gateway.server.webflux.routes[0].id", "chat");
			properties.put("spring.cloud.gateway.server.webflux.routes[0].uri", "lb://gpt");
			properties.put("spring.cloud.gateway.server.webflux.routes[0].predicates[0]", "Path=/v1/**");
			properties.put("spillway.tenants.bench.keys[0]", "sk-bench");
			properties.put("spillway.cache.enabled", false);
			properties.put("logging.level.root", "WARN");
			String[] ids = { "ptu", "paygo" };
			for (int i = 0; i < ids.length; i++) {
				properties.put("spillway.pools.gpt.backends[" + i + "].id", ids[i]);
				properties.put("spillway.pools.gpt.backends[" + i + "].type", "azure");
				properties.put("spillway.pools.gpt.backends[" + i + "].deployment", ids[i]);
				properties.put("spillway.pools.gpt.backends[" + i + "].url", mock.baseUrl());
				properties.put("spillway.pools.gpt.backends[" + i + "].priority", i + 1);
			}
			gateways.add(new SpringApplicationBuilder(Gateway.class).properties(properties).run());
		}
		return gateways;
	}

	/** A gateway made of the starter alone, configured by the properties above. */
	@SpringBootApplication
	static class Gateway {

	}

}
