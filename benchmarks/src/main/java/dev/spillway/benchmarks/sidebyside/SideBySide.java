package dev.spillway.benchmarks.sidebyside;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import redis.embedded.RedisServer;

import dev.spillway.benchmarks.Loopback;

/**
 * The side-by-side benchmark (issue #7): one run that starts a fast backend, a plain Spring Cloud Gateway and the
 * sample Spillway gateway (every feature on, real Redis) as separate JVMs on loopback, and measures them and the
 * backend alone in alternating rounds with the same load generator. Reports medians of the rounds and per-round
 * ratios against plain Spring Cloud Gateway, because on a small, shared machine only ratios taken close together
 * mean anything. Run from the repository root after {@code ./mvnw -DskipTests package}:
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.spillway.benchmarks.sidebyside.SideBySide [key=value ...]</pre>
 * Keys: rounds, seconds, concurrency, rate, stream-concurrency, open-streams (comma list, 0 to skip),
 * phases (comma list of throughput, moderate, streams), targets (comma list of direct, plain, spillway and the
 * variants below, joined with + as in spillway-nocache+nolimits; a name ending in @before runs from the sample jar
 * given as before-jar=path, to compare two builds in one run), jfr (true: record each Spillway target with JFR, to <target>.jfr), pin (true: this process, the backend and Redis on CPU 0,
 * each gateway alone on CPU 1), pause-idle (true: every gateway but the one under load is stopped with SIGSTOP),
 * gateway-flags (extra JVM flags for the Spillway gateways, space-separated: -XX:+PrintCompilation, say),
 * warmup
 * (seconds of throughput load on each target before the rounds, default 30; 0 measures from a cold start: with
 * phases=throughput, the rounds are the warm-up curve).
 */
public final class SideBySide {

	private static final String API_KEY = BenchProcess.TENANT_KEY;

	private static final Path OUT = Path.of("benchmarks", "target", "side-by-side");

	/** Spillway with one thing changed, to see what each costs: {@code targets=plain,spillway,spillway-nocache}. */
	private static final Map<String, List<String>> VARIANTS = Map.of(
			"spillway-semantic", List.of("--spillway.cache.semantic=true"),
			"spillway-nocache", List.of("--spillway.cache.enabled=false"),
			// Cache off, and without the GenAI meters and the request and attempt observations (issue 28's cost).
			"spillway-nogenai", List.of("--spillway.cache.enabled=false", "--management.metrics.enable.gen_ai=false",
					"--management.observations.enable.spillway=false"),
			"spillway-nolog", List.of("--logging.level.dev.spillway.gateway.request=WARN"),
			// A tier with no limit for the model asked for: admissions make no Redis call.
			"spillway-nolimits", List.of("--spillway.limits.tiers.open.models.unused.requests-per-minute=1",
					"--spillway.tenants.demo.tier=open"),
			"spillway-noredisobs", List.of("--management.observations.enable.lettuce=false",
					"--management.metrics.enable.lettuce=false"),
			// The end of an answer does not wait for the tenant's settlement (settled in the background).
			"spillway-settle-after", List.of("--spillway.limits.settle-timeout=0s"),
			// No waiting for refunds, so no count of held tokens either.
			"spillway-nowait", List.of("--spillway.limits.wait-for-held.max-wait=0s"),
			// Cache off and every per-request extra off (limits, request log, GenAI meters and observations): what
			// Spillway's filters and routing cost by themselves.
			"spillway-bare", List.of("--spillway.cache.enabled=false",
					"--spillway.limits.tiers.open.models.unused.requests-per-minute=1", "--spillway.tenants.demo.tier=open",
					"--logging.level.dev.spillway.gateway.request=WARN", "--management.metrics.enable.gen_ai=false",
					"--management.observations.enable.spillway=false"),
			// The same as spillway in a JVM of its own: the spread between two processes of one build.
			"spillway-same", List.of());

	private static final List<String> GATEWAY_FLAGS = List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC");

	record Round(String target, int round, double throughput, double p50, double p99, long errors, double cpuPerRequest,
			double moderateP50, double moderateP99, long moderateErrors, double moderateTtftP50, double moderateTtftP99,
			double ttftP50, double ttftP99,
			double streamsPerSecond, long streamErrors, Map<String, Double> redisPerRequest,
			Map<String, Double> cpuByThreadKind) {
	}

	/** Streams opened per second in the moderate-load phase (each lasts about 100 ms). */
	private static final int MODERATE_STREAMS_PER_SECOND = 20;

	record OpenStreams(String target, int streams, double idleRssMib, double idleHeapMib, double rssMib,
			double heapMib, long errors, double ttftP50) {
	}

	private SideBySide() {
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> settings = settings(args);
		int rounds = Integer.parseInt(settings.get("rounds"));
		Duration phase = Duration.ofSeconds(Long.parseLong(settings.get("seconds")));
		int concurrency = Integer.parseInt(settings.get("concurrency"));
		int rate = Integer.parseInt(settings.get("rate"));
		int streamConcurrency = Integer.parseInt(settings.get("stream-concurrency"));
		List<Integer> openStreams = Arrays.stream(settings.get("open-streams").split(","))
			.map(Integer::parseInt).filter(n -> n > 0).toList();
		List<String> targets = List.of(settings.get("targets").split(","));
		boolean jfr = Boolean.parseBoolean(settings.get("jfr"));
		List<String> phases = List.of(settings.get("phases").split(","));
		boolean pin = Boolean.parseBoolean(settings.get("pin"));
		if (pin) {
			// The load generator, the backend and Redis share CPU 0; each gateway has CPU 1 to itself while measured
			// (only one target is under load at a time).
			pinTo("0", ProcessHandle.current().pid());
		}

		Path sampleJar = Path.of("sample-gateway", "target", "spillway-sample-gateway.jar");
		Path plainJar = Path.of("benchmarks", "plain-gateway", "target", "plain-gateway.jar");
		Path benchJar = Path.of("benchmarks", "target", "benchmarks.jar");
		for (Path jar : List.of(sampleJar, plainJar, benchJar)) {
			if (!Files.exists(jar)) {
				throw new IllegalStateException(jar + " is missing: run ./mvnw -B -DskipTests package from the repository root");
			}
		}
		Files.createDirectories(OUT);

		String redisUrl = System.getenv("REDIS_URL");
		RedisServer embeddedRedis = null;
		if (redisUrl == null) {
			int redisPort = Loopback.freePort();
			embeddedRedis = Loopback.redis(redisPort);
			embeddedRedis.start();
			redisUrl = "redis://127.0.0.1:" + redisPort;
		}
		RedisClient redisClient = RedisClient.create(redisUrl);
		StatefulRedisConnection<String, String> redis = redisClient.connect();
		redis.sync().flushall();

		int backendPort = Loopback.freePort();
		String backendUrl = "http://127.0.0.1:" + backendPort;
		Map<String, BenchProcess> processes = new LinkedHashMap<>();
		List<Round> results = new ArrayList<>();
		List<OpenStreams> memory = new ArrayList<>();
		try (LoadGenerator load = new LoadGenerator(API_KEY)) {
			BenchProcess backend = BenchProcess.start("backend", backendPort, OUT.resolve("backend.log"),
					List.of("-Xmx1g"), List.of("-cp", benchJar.toString(), BenchBackend.class.getName(),
							Integer.toString(backendPort)));
			processes.put("backend", backend);
			for (String target : targets) {
				if (target.equals("direct")) {
					continue;
				}
				int port = Loopback.freePort();
				List<String> flags = new ArrayList<>(GATEWAY_FLAGS);
				List<String> launch = new ArrayList<>();
				if (target.equals("plain")) {
					launch.addAll(List.of("-jar", plainJar.toString(), "--bench.backend-url=" + backendUrl));
				}
				else {
					if (!settings.get("gateway-flags").isBlank()) {
						flags.addAll(List.of(settings.get("gateway-flags").trim().split("\\s+")));
					}
					if (jfr) {
						flags.add("-XX:StartFlightRecording=filename=" + OUT.resolve(target + ".jfr") + ",settings=profile");
						flags.add("-XX:FlightRecorderOptions=stackdepth=512");
					}
					// "spillway-nocache+nolimits": the flags of spillway-nocache and of spillway-nolimits together.
					List<String> variant = new ArrayList<>();
					// "spillway-nocache@before": the same flags, run from the jar given as before-jar=...
					String[] parts = target.replace("@before", "").split("\\+");
					for (int i = 0; i < parts.length; i++) {
						variant.addAll(VARIANTS.getOrDefault(i == 0 ? parts[i] : "spillway-" + parts[i], List.of()));
					}
					Path jar = target.endsWith("@before") ? Path.of(settings.get("before-jar")) : sampleJar;
					launch.addAll(List.of("-jar", jar.toString(),
							"--spring.config.additional-location=optional:file:benchmarks/spillway-bench.yml",
							"--bench.backend-url=" + backendUrl, "--spring.data.redis.url=" + redisUrl,
							"--management.server.port=0", BenchProcess.TENANT_KEY_PROPERTY,
							// Each Spillway process is its own deployment: none hears the others' cache announcements.
							"--spillway.shared-state.key-prefix=" + target.replace('+', '.').replace('@', '.')));
					// A property given twice on the command line becomes a list and fails to bind: a variant's own
					// value replaces the default instead of following it.
					if (variant.stream().noneMatch(flag -> flag.startsWith("--spillway.cache.semantic="))) {
						launch.add("--spillway.cache.semantic=false");
					}
					launch.addAll(variant);
				}
				launch.add("--server.port=" + port);
				processes.put(target, BenchProcess.start(target, port, OUT.resolve(target + ".log"), flags, launch,
						pin ? "1" : null));
			}
			for (BenchProcess process : processes.values()) {
				process.awaitReady(API_KEY);
			}
			log("All processes answer; warming up");
			Duration warmup = Duration.ofSeconds(Long.parseLong(settings.get("warmup")));
			boolean pauseIdle = Boolean.parseBoolean(settings.get("pause-idle"));
			for (String target : warmup.isZero() ? List.<String>of() : targets) {
				only(processes, target, pauseIdle);
				String url = url(processes, target);
				// Spillway has much more code for the JIT to compile than plain Spring Cloud Gateway: warm up long.
				load.throughput(url, concurrency, warmup);
				load.streams(url, streamConcurrency, phase);
			}
			for (int round = 1; round <= rounds; round++) {
				for (int i = 0; i < targets.size(); i++) {
					String target = targets.get((i + round - 1) % targets.size());
					only(processes, target, pauseIdle);
					results.add(measure(load, redis, processes, target, round, phase, concurrency, rate, streamConcurrency, phases));
					log(results.get(results.size() - 1).toString());
				}
			}
			for (int streams : openStreams) {
				for (String target : targets) {
					if (!target.equals("plain") && !target.equals("spillway")) {
						continue;
					}
					only(processes, target, pauseIdle);
					memory.add(openStreams(load, processes.get(target), target, streams));
					log(memory.get(memory.size() - 1).toString());
				}
			}
		}
		finally {
			processes.values().forEach(BenchProcess::close);
			redis.close();
			redisClient.shutdown();
			if (embeddedRedis != null) {
				embeddedRedis.stop();
			}
		}
		String report = report(settings, results, memory);
		Files.writeString(OUT.resolve("report.md"), report);
		System.out.println(report);
	}

	private static Round measure(LoadGenerator load, StatefulRedisConnection<String, String> redis,
			Map<String, BenchProcess> processes, String target, int round, Duration phase, int concurrency, int rate,
			int streamConcurrency, List<String> phases) {
		String url = url(processes, target);
		BenchProcess gateway = processes.get(target);
		LoadGenerator.sleep(1000);
		redis.sync().configResetstat();
		long cpuBefore = gateway == null ? 0 : gateway.cpuMillis();
		Map<String, Long> threadsBefore = gateway == null ? Map.of() : gateway.cpuMillisByThreadKind();
		Samples throughput = load.throughput(url, concurrency, phase);
		long cpu = gateway == null ? 0 : gateway.cpuMillis() - cpuBefore;
		Map<String, Double> cpuByThreadKind = new TreeMap<>();
		if (gateway != null) {
			gateway.cpuMillisByThreadKind().forEach((kind, millis) -> {
				long used = millis - threadsBefore.getOrDefault(kind, 0L);
				if (used > 0) {
					cpuByThreadKind.put(kind, (double) used / Math.max(1, throughput.count()));
				}
			});
		}
		Map<String, Double> redisPerRequest = commandsPerRequest(redis.sync().info("commandstats"),
				throughput.count() + throughput.errors());
		Samples moderate = phases.contains("moderate") ? load.fixedRate(url, rate, phase) : new Samples(0);
		Samples moderateStreams = phases.contains("moderate") ? load.fixedRateStreams(url, MODERATE_STREAMS_PER_SECOND, phase)
				: new Samples(0);
		Samples streams = phases.contains("streams") ? load.streams(url, streamConcurrency, phase) : new Samples(0);
		return new Round(target, round, throughput.perSecond(), throughput.millis(0.5), throughput.millis(0.99),
				throughput.errors(), gateway == null ? 0 : (double) cpu / throughput.count(), moderate.millis(0.5),
				moderate.millis(0.99), moderate.errors() + moderateStreams.errors(), moderateStreams.millis(0.5),
				moderateStreams.millis(0.99), streams.millis(0.5), streams.millis(0.99),
				streams.perSecond(), streams.errors(), target.startsWith("spillway") ? redisPerRequest : Map.of(),
				cpuByThreadKind);
	}

	private static OpenStreams openStreams(LoadGenerator load, BenchProcess gateway, String target, int count) {
		double idleHeap = gateway.liveHeapMib();
		double idleRss = gateway.rssMib();
		double[] whenOpen = new double[2];
		Samples samples = load.openStreams(gateway.baseUrl(), count, 1000, () -> {
			whenOpen[0] = gateway.rssMib();
			whenOpen[1] = gateway.liveHeapMib();
		});
		return new OpenStreams(target, count, idleRss, idleHeap, whenOpen[0], whenOpen[1], samples.errors(),
				samples.millis(0.5));
	}

	/** Commands per request by name, from {@code INFO commandstats} after a reset. */
	private static Map<String, Double> commandsPerRequest(String commandStats, long requests) {
		Map<String, Double> perRequest = new TreeMap<>();
		for (String line : commandStats.split("\r?\n")) {
			if (!line.startsWith("cmdstat_")) {
				continue;
			}
			String name = line.substring("cmdstat_".length(), line.indexOf(':'));
			if (name.equals("info") || name.equals("config")) {
				continue;
			}
			long calls = Long.parseLong(line.replaceAll("^[^:]*:calls=(\\d+),.*", "$1"));
			perRequest.put(name, requests == 0 ? 0 : (double) calls / requests);
		}
		return perRequest;
	}

	private static String url(Map<String, BenchProcess> processes, String target) {
		return processes.get(target.equals("direct") ? "backend" : target).baseUrl();
	}

	private static String report(Map<String, String> settings, List<Round> rounds, List<OpenStreams> memory)
			throws IOException {
		StringBuilder out = new StringBuilder();
		out.append("## Side-by-side run\n\n").append(machine()).append("\nSettings: ").append(settings).append("\n\n");
		out.append("| target | throughput (req/s) | p50 / p99 at full load (ms) | CPU per request (ms) "
				+ "| p50 / p99 at moderate load (ms) | TTFT p50 / p99, moderate (ms) | TTFT p50 / p99, "
				+ settings.get("stream-concurrency") + " streams (ms) "
				+ "| errors |\n");
		out.append("|---|---|---|---|---|---|---|---|\n");
		List<String> targets = rounds.stream().map(Round::target).distinct().toList();
		for (String target : targets) {
			List<Round> of = rounds.stream().filter(r -> r.target().equals(target)).toList();
			out.append(String.format(Locale.ROOT,
					"| %s | %.0f | %.2f / %.2f | %.3f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %d |\n", target,
					median(of, Round::throughput), median(of, Round::p50), median(of, Round::p99),
					median(of, Round::cpuPerRequest), median(of, Round::moderateP50), median(of, Round::moderateP99),
					median(of, Round::moderateTtftP50), median(of, Round::moderateTtftP99),
					median(of, Round::ttftP50), median(of, Round::ttftP99),
					of.stream().mapToLong(r -> r.errors() + r.moderateErrors() + r.streamErrors()).sum()));
		}
		out.append("\nAgainst plain Spring Cloud Gateway, per round (same round, back to back), then the median:\n\n");
		out.append("| target | throughput ratio | added p99, moderate load (ms) | added p50, moderate load (ms) "
				+ "| added TTFT p50, moderate (ms) | added TTFT p50, " + settings.get("stream-concurrency")
				+ " streams (ms) | CPU per request ratio |\n"
				+ "|---|---|---|---|---|---|---|\n");
		for (String target : targets) {
			if (target.equals("plain")) {
				continue;
			}
			List<double[]> pairs = new ArrayList<>();
			for (Round round : rounds) {
				if (!round.target().equals(target)) {
					continue;
				}
				rounds.stream()
					.filter(r -> r.target().equals("plain") && r.round() == round.round())
					.findFirst()
					.ifPresent(plain -> pairs.add(new double[] { round.throughput() / plain.throughput(),
							round.moderateP99() - plain.moderateP99(), round.moderateP50() - plain.moderateP50(),
							round.moderateTtftP50() - plain.moderateTtftP50(), round.ttftP50() - plain.ttftP50(),
							plain.cpuPerRequest() == 0 ? Double.NaN : round.cpuPerRequest() / plain.cpuPerRequest() }));
			}
			if (pairs.isEmpty()) {
				continue;
			}
			out.append(String.format(Locale.ROOT, "| %s | %.3f | %+.2f | %+.2f | %+.2f | %+.2f | %.2f |\n", target,
					medianOf(pairs, 0), medianOf(pairs, 1), medianOf(pairs, 2), medianOf(pairs, 3), medianOf(pairs, 4),
					medianOf(pairs, 5)));
		}
		rounds.stream().filter(r -> r.target().equals("spillway")).reduce((a, b) -> b).ifPresent(last -> {
			out.append("\nRedis commands per request (Spillway, full-load phase of the last round): ");
			out.append(String.format(Locale.ROOT, "%.2f in all — ",
					last.redisPerRequest().values().stream().mapToDouble(Double::doubleValue).sum()));
			last.redisPerRequest().forEach((name, calls) -> out.append(String.format(Locale.ROOT, "%s %.2f, ", name, calls)));
			out.setLength(out.length() - 2);
			out.append("\n");
		});
		out.append("\nCPU per request by kind of thread (ms, full-load phase of each target's last round; thread names "
				+ "with their numbers as N):\n\n");
		for (String target : targets) {
			rounds.stream().filter(r -> r.target().equals(target)).reduce((a, b) -> b).ifPresent(last -> {
				out.append("- ").append(target).append(": ");
				last.cpuByThreadKind()
					.entrySet()
					.stream()
					.sorted(Map.Entry.<String, Double>comparingByValue().reversed())
					.filter(kind -> kind.getValue() >= 0.001)
					.forEach(kind -> out.append(String.format(Locale.ROOT, "%s %.3f, ", kind.getKey(), kind.getValue())));
				out.setLength(out.length() - 2);
				out.append("\n");
			});
		}
		if (!memory.isEmpty()) {
			out.append("\n| target | open streams | idle RSS / live heap (MiB) | RSS / live heap with streams open (MiB) "
					+ "| TTFT p50 (ms) | errors |\n|---|---|---|---|---|---|\n");
			for (OpenStreams m : memory) {
				out.append(String.format(Locale.ROOT, "| %s | %d | %.0f / %.0f | %.0f / %.0f | %.1f | %d |\n", m.target(),
						m.streams(), m.idleRssMib(), m.idleHeapMib(), m.rssMib(), m.heapMib(), m.ttftP50(), m.errors()));
			}
		}
		out.append("\nEvery round:\n\n```\n");
		rounds.forEach(r -> out.append(r).append('\n'));
		out.append("```\n");
		return out.toString();
	}

	private static double median(List<Round> rounds, ToDoubleFunction<Round> value) {
		return median(rounds.stream().mapToDouble(value).toArray());
	}

	private static double medianOf(List<double[]> pairs, int index) {
		return median(pairs.stream().mapToDouble(p -> p[index]).toArray());
	}

	private static double median(double[] values) {
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int n = sorted.length;
		return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	}

	private static String machine() throws IOException {
		String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
			.filter(line -> line.startsWith("model name"))
			.findFirst().map(line -> line.substring(line.indexOf(':') + 2)).orElse("unknown CPU");
		String memory = Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " ");
		return String.format(Locale.ROOT, "Machine: %d cores (%s), %s, %s %s, Java %s (%s). All processes on this "
				+ "machine: load generator, backend, Redis and the gateways.\n", Runtime.getRuntime().availableProcessors(),
				cpu, memory, System.getProperty("os.name"), System.getProperty("os.version"),
				System.getProperty("java.version"), System.getProperty("java.vm.name"));
	}

	/**
	 * With {@code pause-idle}, stops every gateway but {@code target} (SIGSTOP) and lets {@code target} run: an idle
	 * gateway on the same core still compiles and runs its timers, which slowed the measured one by a third.
	 */
	private static void only(Map<String, BenchProcess> processes, String target, boolean pauseIdle) {
		if (!pauseIdle) {
			return;
		}
		processes.forEach((name, process) -> {
			if (!name.equals("backend")) {
				if (name.equals(target)) {
					process.resume();
				}
				else {
					process.pause();
				}
			}
		});
	}

	private static Map<String, String> settings(String[] args) {
		Map<String, String> settings = new LinkedHashMap<>();
		settings.put("rounds", "5");
		settings.put("seconds", "10");
		settings.put("concurrency", "32");
		settings.put("rate", "200");
		settings.put("stream-concurrency", "16");
		settings.put("open-streams", "1000,5000");
		settings.put("targets", "direct,plain,spillway");
		settings.put("phases", "throughput,moderate,streams");
		settings.put("jfr", "false");
		settings.put("pin", "false");
		settings.put("warmup", "30");
		settings.put("before-jar", "");
		settings.put("pause-idle", "false");
		settings.put("gateway-flags", "");
		for (String arg : args) {
			int equals = arg.indexOf('=');
			if (equals < 0 || !settings.containsKey(arg.substring(0, equals))) {
				throw new IllegalArgumentException("Unknown setting " + arg + "; known: " + settings.keySet());
			}
			settings.put(arg.substring(0, equals), arg.substring(equals + 1));
		}
		return settings;
	}

	/** Pins every thread of process {@code pid} to {@code cpus}; threads it starts later inherit the mask. */
	private static void pinTo(String cpus, long pid) throws IOException, InterruptedException {
		Process taskset = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid)).redirectErrorStream(true)
			.start();
		String output = new String(taskset.getInputStream().readAllBytes());
		if (taskset.waitFor() != 0) {
			throw new IllegalStateException("taskset failed: " + output);
		}
	}

	private static void log(String line) {
		System.out.println("[side-by-side] " + line);
	}

}
