package dev.spillway.benchmarks.sidebyside;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A JVM the harness starts (a gateway or the backend), with what it can read of it from outside: RSS, heap, CPU. */
final class BenchProcess implements AutoCloseable {

	private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

	private static final long CLOCK_TICKS_PER_SECOND = 100;

	/**
	 * The tenant key the benchmarks give the sample gateway. Not the README's demo key: the sample refuses that one
	 * whenever it serves deployments other than its embedded ones, as every benchmark does.
	 */
	static final String TENANT_KEY = "sk-spillway-bench-loopback-only";

	/** The command-line property that sets it (the sample's {@code SPILLWAY_DEMO_KEY} placeholder). */
	static final String TENANT_KEY_PROPERTY = "--SPILLWAY_DEMO_KEY=" + TENANT_KEY;

	final String name;

	final int port;

	private final Process process;

	private BenchProcess(String name, int port, Process process) {
		this.name = name;
		this.port = port;
		this.process = process;
	}

	static BenchProcess start(String name, int port, Path logFile, List<String> jvmFlags, List<String> launch) {
		return start(name, port, logFile, jvmFlags, launch, null);
	}

	/** Starts the process on the given CPUs only ({@code taskset -c}), or on any when {@code cpus} is {@code null}. */
	static BenchProcess start(String name, int port, Path logFile, List<String> jvmFlags, List<String> launch,
			String cpus) {
		List<String> command = new ArrayList<>();
		if (cpus != null) {
			// taskset executes the JVM in its own process: the pid read for CPU time is the JVM's.
			command.addAll(List.of("taskset", "-c", cpus));
		}
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(jvmFlags);
		command.addAll(launch);
		try {
			Files.createDirectories(logFile.getParent());
			Process process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(logFile.toFile())
				.start();
			return new BenchProcess(name, port, process);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	long pid() {
		return process.pid();
	}

	String baseUrl() {
		return "http://127.0.0.1:" + port;
	}

	/** Waits until a chat completion through this process answers 200. */
	BenchProcess awaitReady(String apiKey) {
		HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		HttpRequest probe = HttpRequest.newBuilder(URI.create(baseUrl() + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + apiKey)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(
					"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"ready?\"}]}"))
			.timeout(Duration.ofSeconds(5))
			.build();
		long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
		while (System.nanoTime() < deadline) {
			if (!process.isAlive()) {
				throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see its log");
			}
			try {
				if (client.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
					return this;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
			LoadGenerator.sleep(250);
		}
		throw new IllegalStateException(name + " did not answer within 120 s; see its log");
	}

	/** Resident set size in MiB. */
	double rssMib() {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
				if (line.startsWith("VmRSS:")) {
					return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
				}
			}
		}
		catch (IOException ex) {
			// not Linux: no RSS
		}
		return Double.NaN;
	}

	/** Heap in use in MiB after a full collection (what the open streams really hold). */
	double liveHeapMib() {
		jcmd("GC.run");
		Matcher used = HEAP_USED.matcher(jcmd("GC.heap_info"));
		return used.find() ? Long.parseLong(used.group(1)) / 1024.0 : Double.NaN;
	}

	/** CPU time (user + system) the process has used so far, in milliseconds. */
	long cpuMillis() {
		try {
			return cpuMillisOf(Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat")));
		}
		catch (IOException ex) {
			return -1;
		}
	}

	/**
	 * CPU time (user + system) each kind of thread has used so far, in milliseconds: thread names with their
	 * numbers taken out ({@code reactor-http-epoll-N}, {@code C2 CompilerThreadN}, {@code G1 Conc#N}), so that
	 * the event loops' share can be told from the JIT's and the collector's.
	 */
	Map<String, Long> cpuMillisByThreadKind() {
		Map<String, Long> byKind = new TreeMap<>();
		Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
		try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
			for (Path thread : threads) {
				String stat;
				try {
					stat = Files.readString(thread.resolve("stat"));
				}
				catch (IOException ended) {
					continue;
				}
				String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
				byKind.merge(name.replaceAll("[0-9#]+", "N"), cpuMillisOf(stat), Long::sum);
			}
		}
		catch (IOException ex) {
			// not Linux: nothing by thread
		}
		return byKind;
	}

	/** User + system time of a {@code /proc/.../stat} line, in milliseconds (the fields after the command name). */
	private static long cpuMillisOf(String stat) {
		String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
		return ticks * 1000 / CLOCK_TICKS_PER_SECOND;
	}

	private String jcmd(String command) {
		try {
			Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
					Long.toString(process.pid()), command).redirectErrorStream(true).start();
			String output = new String(jcmd.getInputStream().readAllBytes());
			jcmd.waitFor(30, TimeUnit.SECONDS);
			return output;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return "";
		}
	}

	/** Stops the process (SIGSTOP) so that, idle, it takes no CPU from the one measured; {@link #resume} undoes it. */
	void pause() {
		signal("-STOP");
	}

	void resume() {
		signal("-CONT");
	}

	private void signal(String signal) {
		try {
			new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start().waitFor();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void close() {
		resume();
		process.destroy();
		try {
			if (!process.waitFor(15, TimeUnit.SECONDS)) {
				process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
