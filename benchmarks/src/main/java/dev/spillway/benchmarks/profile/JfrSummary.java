package dev.spillway.benchmarks.profile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * What a JFR recording's execution samples say, as the benchmark doc quotes it: the top frames by self time, the
 * packages of the frame on top, and Spillway's methods inclusive of what they call; and where its allocation
 * samples say the memory went (a gateway alone on one core pays for its garbage on that core).
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.spillway.benchmarks.profile.JfrSummary \
 *   benchmarks/target/side-by-side/spillway-nocache.jfr [top=25]</pre>
 */
public final class JfrSummary {

	private static final List<String> PACKAGES = List.of("dev.spillway", "io.netty", "reactor.netty", "reactor.core",
			"org.springframework.cloud.gateway", "org.springframework", "io.micrometer", "tools.jackson",
			"com.fasterxml.jackson", "io.lettuce", "io.github.bucket4j", "ch.qos.logback", "com.knuddels.jtokkit",
			"java.", "jdk.", "sun.");

	/** Framework code whose inclusive share says what a step of the request costs (filters, balancer, meters). */
	private static final List<String> INCLUSIVE = List.of("org.springframework.cloud.gateway.filter.",
			"org.springframework.cloud.gateway.handler.", "org.springframework.cloud.loadbalancer.",
			"org.springframework.cloud.client.loadbalancer.", "org.springframework.web.server.adapter.",
			"org.springframework.http.server.reactive.", "io.micrometer.", "io.github.bucket4j.", "io.lettuce.core.",
			"tools.jackson.databind.ObjectMapper", "ch.qos.logback.classic.Logger", "reactor.netty.http.server.",
			"reactor.netty.http.client.");

	private JfrSummary() {
	}

	public static void main(String[] args) throws IOException {
		Path file = Path.of(args[0]);
		int top = 25;
		String callersOf = null;
		for (int i = 1; i < args.length; i++) {
			if (args[i].startsWith("top=")) {
				top = Integer.parseInt(args[i].substring("top=".length()));
			}
			else if (args[i].startsWith("callers=")) {
				callersOf = args[i].substring("callers=".length());
			}
		}
		Map<String, Long> callerChains = new HashMap<>();
		long callerWeight = 0;
		Map<String, Integer> self = new HashMap<>();
		Map<String, Integer> packages = new HashMap<>();
		Map<String, Integer> spillwayInclusive = new HashMap<>();
		Map<String, Integer> frameworkInclusive = new HashMap<>();
		Map<String, Long> allocatedByFrame = new HashMap<>();
		Map<String, Long> allocatedByClass = new HashMap<>();
		long allocated = 0;
		Map<String, Integer> deoptimizations = new HashMap<>();
		Map<String, Integer> compilations = new HashMap<>();
		int compiled = 0;
		int samples = 0;
		try (RecordingFile recording = new RecordingFile(file)) {
			while (recording.hasMoreEvents()) {
				RecordedEvent event = recording.readEvent();
				String type = event.getEventType().getName();
				if (type.equals("jdk.Deoptimization")) {
					deoptimizations.merge(name(event.getValue("method")) + " (" + event.getString("reason") + ", "
							+ event.getString("action") + ")", 1, Integer::sum);
					continue;
				}
				if (type.equals("jdk.Compilation")) {
					compilations.merge(name(event.getValue("method")), 1, Integer::sum);
					compiled++;
					continue;
				}
				if (type.equals("jdk.ObjectAllocationSample")) {
					long weight = event.getLong("weight");
					allocated += weight;
					allocatedByClass.merge(event.getClass("objectClass").getName(), weight, Long::sum);
					RecordedStackTrace stack = event.getStackTrace();
					if (stack != null) {
						allocatedByFrame.merge(firstOutsideTheJdk(stack), weight, Long::sum);
						String chain = callersOf == null ? null : callerChain(stack, callersOf);
						if (chain != null) {
							callerChains.merge("alloc  " + chain, weight, Long::sum);
							callerWeight += weight;
						}
					}
					continue;
				}
				if (!type.equals("jdk.ExecutionSample")) {
					continue;
				}
				RecordedStackTrace stack = event.getStackTrace();
				if (stack == null || stack.getFrames().isEmpty()) {
					continue;
				}
				samples++;
				String chain = callersOf == null ? null : callerChain(stack, callersOf);
				if (chain != null) {
					callerChains.merge("cpu    " + chain, 1L, Long::sum);
				}
				RecordedFrame first = stack.getFrames().get(0);
				String topFrame = name(first.getMethod());
				self.merge(topFrame, 1, Integer::sum);
				packages.merge(packageOf(first.getMethod()), 1, Integer::sum);
				Set<String> seen = new HashSet<>();
				for (RecordedFrame frame : stack.getFrames()) {
					String method = name(frame.getMethod());
					if (method.startsWith("dev.spillway.") && seen.add(method)) {
						spillwayInclusive.merge(method, 1, Integer::sum);
					}
					if (INCLUSIVE.stream().anyMatch(method::startsWith) && seen.add(method)) {
						frameworkInclusive.merge(method, 1, Integer::sum);
					}
				}
			}
		}
		System.out.printf("%s: %d execution samples%n%n", file, samples);
		print("Top frames (self)", self, samples, top);
		print("Package of the frame on top", packages, samples, top);
		print("Spillway methods, inclusive", spillwayInclusive, samples, top);
		print("Framework methods the request path calls, inclusive", frameworkInclusive, samples, top);
		int deoptimized = deoptimizations.values().stream().mapToInt(Integer::intValue).sum();
		System.out.printf("## JIT: %d compilations recorded (those over the recording's threshold), %d deoptimizations%n",
				compiled, deoptimized);
		print("Deoptimized most often (method, reason, action), share of all deoptimizations", deoptimizations,
				Math.max(1, deoptimized), top);
		print("Compiled most often, share of recorded compilations", compilations, Math.max(1, compiled), top);
		if (callersOf != null) {
			System.out.printf("## Who calls %s (cpu: execution samples; alloc: bytes, of %.1f MiB)%n", callersOf,
					callerWeight / 1048576.0);
			callerChains.entrySet()
				.stream()
				.sorted(Map.Entry.<String, Long>comparingByValue().reversed())
				.limit(top)
				.forEach(e -> System.out.printf("%12d  %s%n", e.getValue(), e.getKey()));
			System.out.println();
		}
		if (allocated > 0) {
			System.out.printf("## Allocation (sampled, weighted): %.1f MiB in all%n", allocated / 1048576.0);
			print("By the first frame outside the JDK", allocatedByFrame, allocated, top);
			print("By class allocated", allocatedByClass, allocated, top);
		}
	}

	/**
	 * The callers above the first frame matching {@code target}, skipping the JDK's and Spring's utility frames:
	 * who, in the request path, ends up there. {@code null} when no frame matches.
	 */
	private static String callerChain(RecordedStackTrace stack, String target) {
		List<RecordedFrame> frames = stack.getFrames();
		for (int i = 0; i < frames.size(); i++) {
			if (name(frames.get(i).getMethod()).contains(target)) {
				StringBuilder chain = new StringBuilder(shortName(frames.get(i).getMethod()));
				int kept = 0;
				for (int j = i + 1; j < frames.size() && kept < 4; j++) {
					String type = frames.get(j).getMethod().getType().getName();
					if (isJdk(type) || type.startsWith("org.springframework.util.") || type.startsWith("reactor.core.")
							|| type.contains("$$Lambda")) {
						continue;
					}
					chain.append(" < ").append(shortName(frames.get(j).getMethod()));
					kept++;
				}
				return chain.toString();
			}
		}
		return null;
	}

	private static boolean isJdk(String type) {
		return type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.");
	}

	private static String shortName(RecordedMethod method) {
		String type = method.getType().getName();
		return type.substring(type.lastIndexOf('.') + 1) + "." + method.getName();
	}

	/** The allocation's first frame that is not the JDK's own: who asked for the memory. */
	private static String firstOutsideTheJdk(RecordedStackTrace stack) {
		for (RecordedFrame frame : stack.getFrames()) {
			String type = frame.getMethod().getType().getName();
			if (!isJdk(type)) {
				return name(frame.getMethod());
			}
		}
		return stack.getFrames().isEmpty() ? "?" : name(stack.getFrames().get(0).getMethod());
	}

	/** The {@code top} entries of {@code counts} as shares of {@code total}, largest first, under a heading. */
	private static void print(String title, Map<String, ? extends Number> counts, double total, int top) {
		System.out.println((title.startsWith("By ") ? "### " : "## ") + title);
		counts.entrySet()
			.stream()
			.sorted((a, b) -> Double.compare(b.getValue().doubleValue(), a.getValue().doubleValue()))
			.limit(top)
			.forEach(e -> System.out.printf("%5.1f %%  %s%n", 100.0 * e.getValue().doubleValue() / total, e.getKey()));
		System.out.println();
	}

	private static String name(RecordedMethod method) {
		return method.getType().getName() + "." + method.getName();
	}

	private static String packageOf(RecordedMethod method) {
		String type = method.getType().getName();
		for (String prefix : PACKAGES) {
			if (type.startsWith(prefix)) {
				return prefix;
			}
		}
		int dot = type.lastIndexOf('.');
		return dot < 0 ? type : type.substring(0, dot);
	}

}
