package dev.spillway.benchmarks.sidebyside;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * The load generator: Reactor Netty on two event loops of its own, keep-alive connections, no per-request
 * allocation beyond the request body. Closed loops measure throughput and stream timings; a fixed rate measures
 * latency at moderate load; a burst of slow streams holds thousands open at once.
 */
final class LoadGenerator implements AutoCloseable {

	private static final int MAX_SAMPLES = 4_000_000;

	private final LoopResources loops = LoopResources.create("load", 2, true);

	private final ConnectionProvider connections = ConnectionProvider.builder("load")
		.maxConnections(12_000)
		.pendingAcquireMaxCount(-1)
		.pendingAcquireTimeout(Duration.ofSeconds(120))
		.build();

	private final AtomicLong sequence = new AtomicLong();

	private final String apiKey;

	LoadGenerator(String apiKey) {
		this.apiKey = apiKey;
	}

	private HttpClient client(String baseUrl) {
		return HttpClient.create(connections)
			.runOn(loops)
			.baseUrl(baseUrl)
			.headers(headers -> headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + apiKey)
				.set(HttpHeaderNames.CONTENT_TYPE, "application/json"))
			.responseTimeout(Duration.ofSeconds(90));
	}

	/** A chat request no earlier request asked, so a response cache misses it. */
	private String body(boolean slow, boolean stream) {
		long n = sequence.incrementAndGet();
		return "{\"model\":\"gpt-4o\",\"stream\":" + stream + (slow ? ",\"user\":\"bench-slow\"" : "")
				+ ",\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant.\"},"
				+ "{\"role\":\"user\",\"content\":\"Request " + n + ": name three facts about the number " + n
				+ " and one about its neighbours.\"}]}";
	}

	private Mono<Long> complete(HttpClient client) {
		return Mono.defer(() -> {
			long start = System.nanoTime();
			return client.post()
				.uri("/v1/chat/completions")
				.send(ByteBufFlux.fromString(Mono.just(body(false, false))))
				.responseSingle((response, content) -> content.asString()
					.defaultIfEmpty("")
					.map(text -> response.status().code() == 200 && text.contains("\"choices\"")
							? System.nanoTime() - start : -1L));
		}).onErrorReturn(-1L);
	}

	/** Time to the first event of a stream, or -1 when the stream failed or ended without {@code [DONE]}. */
	private Mono<Long> stream(HttpClient client, boolean slow, AtomicInteger firstEvents) {
		return Mono.defer(() -> {
			long start = System.nanoTime();
			long[] firstEvent = { -1 };
			StringBuilder tail = new StringBuilder();
			return client.post()
				.uri("/v1/chat/completions")
				.send(ByteBufFlux.fromString(Mono.just(body(slow, true))))
				.response((response, content) -> content.asString(StandardCharsets.UTF_8)
					.doOnNext(text -> {
						if (firstEvent[0] < 0 && text.contains("data:")) {
							firstEvent[0] = System.nanoTime() - start;
							if (firstEvents != null) {
								firstEvents.incrementAndGet();
							}
						}
						tail.append(text);
						if (tail.length() > 64) {
							tail.delete(0, tail.length() - 64);
						}
					})
					.then(Mono.fromSupplier(() -> response.status().code() == 200 && tail.indexOf("[DONE]") >= 0
							? firstEvent[0] : -1L)))
				.single();
		}).onErrorReturn(-1L);
	}

	/** {@code concurrency} clients sending non-streaming requests back to back for {@code duration}. */
	Samples throughput(String baseUrl, int concurrency, Duration duration) {
		HttpClient client = client(baseUrl);
		return closedLoop(concurrency, duration, () -> complete(client));
	}

	/** {@code concurrency} clients opening fast streams back to back; the samples are times to first event. */
	Samples streams(String baseUrl, int concurrency, Duration duration) {
		HttpClient client = client(baseUrl);
		return closedLoop(concurrency, duration, () -> stream(client, false, null));
	}

	/** Non-streaming requests at a fixed rate, whatever the answers' pace (latency at moderate load). */
	Samples fixedRate(String baseUrl, int perSecond, Duration duration) {
		HttpClient client = client(baseUrl);
		return fixedRate(perSecond, duration, () -> complete(client));
	}

	/** Fast streams opened at a fixed rate; the samples are times to first event (at moderate load). */
	Samples fixedRateStreams(String baseUrl, int perSecond, Duration duration) {
		HttpClient client = client(baseUrl);
		return fixedRate(perSecond, duration, () -> stream(client, false, null));
	}

	private Samples fixedRate(int perSecond, Duration duration, java.util.function.Supplier<Mono<Long>> call) {
		Samples samples = new Samples(MAX_SAMPLES);
		long count = perSecond * duration.toSeconds();
		samples.start();
		Flux.interval(Duration.ofNanos(1_000_000_000L / perSecond))
			.take(count)
			.flatMap(tick -> call.get(), 4096)
			.doOnNext(latency -> record(samples, latency))
			.blockLast();
		samples.end();
		return samples;
	}

	/**
	 * Opens {@code count} slow streams ({@code rampPerSecond} a second), runs {@code whenOpen} once every one of
	 * them has had its first event, and waits for all to end. Samples are times to first event.
	 */
	Samples openStreams(String baseUrl, int count, int rampPerSecond, Runnable whenOpen) {
		HttpClient client = client(baseUrl);
		Samples samples = new Samples(count);
		AtomicInteger opened = new AtomicInteger();
		Thread watcher = new Thread(() -> {
			long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
			while (opened.get() < count && System.nanoTime() < deadline) {
				sleep(100);
			}
			whenOpen.run();
		}, "open-streams-watcher");
		samples.start();
		watcher.start();
		Flux.interval(Duration.ofNanos(1_000_000_000L / rampPerSecond))
			.take(count)
			.flatMap(tick -> stream(client, true, opened), count)
			.doOnNext(latency -> record(samples, latency))
			.blockLast();
		samples.end();
		join(watcher);
		return samples;
	}

	private Samples closedLoop(int concurrency, Duration duration, java.util.function.Supplier<Mono<Long>> call) {
		Samples samples = new Samples(MAX_SAMPLES);
		long deadline = System.nanoTime() + duration.toNanos();
		samples.start();
		Flux.range(0, concurrency)
			.flatMap(client -> call.get().repeat(() -> System.nanoTime() < deadline), concurrency)
			.doOnNext(latency -> record(samples, latency))
			.blockLast();
		samples.end();
		return samples;
	}

	private static void record(Samples samples, long latency) {
		if (latency < 0) {
			samples.error();
		}
		else {
			samples.record(latency);
		}
	}

	static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void join(Thread thread) {
		try {
			thread.join();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void close() {
		connections.dispose();
		loops.dispose();
	}

}
