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

	private JfrSummary() {
	}

	public static void main(String[] args) throws IOException {
		Path file = Path.of(args[0]);
		int top = args.length > 1 ? Integer.parseInt(args[1].replace("top=", "")) : 25;
		Map<String, Integer> self = new HashMap<>();
		Map<String, Integer> packages = new HashMap<>();
		Map<String, Integer> spillwayInclusive = new HashMap<>();
		Map<String, Long> allocatedByFrame = new HashMap<>();
		Map<String, Long> allocatedByClass = new HashMap<>();
		long allocated = 0;
		int samples = 0;
		try (RecordingFile recording = new RecordingFile(file)) {
			while (recording.hasMoreEvents()) {
				RecordedEvent event = recording.readEvent();
				if (event.getEventType().getName().equals("jdk.ObjectAllocationSample")) {
					long weight = event.getLong("weight");
					allocated += weight;
					allocatedByClass.merge(event.getClass("objectClass").getName(), weight, Long::sum);
					RecordedStackTrace stack = event.getStackTrace();
					if (stack != null) {
						allocatedByFrame.merge(firstOutsideTheJdk(stack), weight, Long::sum);
					}
					continue;
				}
				if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
					continue;
				}
				RecordedStackTrace stack = event.getStackTrace();
				if (stack == null || stack.getFrames().isEmpty()) {
					continue;
				}
				samples++;
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
				}
			}
		}
		System.out.printf("%s: %d execution samples%n%n", file, samples);
		print("Top frames (self)", self, samples, top);
		print("Package of the frame on top", packages, samples, top);
		print("Spillway methods, inclusive", spillwayInclusive, samples, top);
		if (allocated > 0) {
			System.out.printf("## Allocation (sampled, weighted): %.1f MiB in all%n", allocated / 1048576.0);
			printBytes("By the first frame outside the JDK", allocatedByFrame, allocated, top);
			printBytes("By class allocated", allocatedByClass, allocated, top);
		}
	}

	/** The allocation's first frame that is not the JDK's own: who asked for the memory. */
	private static String firstOutsideTheJdk(RecordedStackTrace stack) {
		for (RecordedFrame frame : stack.getFrames()) {
			String type = frame.getMethod().getType().getName();
			if (!type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun.")) {
				return name(frame.getMethod());
			}
		}
		return stack.getFrames().isEmpty() ? "?" : name(stack.getFrames().get(0).getMethod());
	}

	private static void printBytes(String title, Map<String, Long> bytes, long total, int top) {
		System.out.println("### " + title);
		bytes.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Long>comparingByValue().reversed())
			.limit(top)
			.forEach(e -> System.out.printf("%5.1f %%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
		System.out.println();
	}

	private static void print(String title, Map<String, Integer> counts, int samples, int top) {
		System.out.println("## " + title);
		counts.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
			.limit(top)
			.forEach(e -> System.out.printf("%5.1f %%  %s%n", 100.0 * e.getValue() / samples, e.getKey()));
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
