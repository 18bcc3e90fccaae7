package dev.spillway.gateway.streaming;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.PiecewiseJsonBackend;
import dev.spillway.gateway.PiecewiseJsonBackend.Answer;
import dev.spillway.gateway.limit.TenantBuckets;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15, "usage that goes missing": large JSON answers (chat completions of some thousand tokens, embeddings of
 * 1,536 floats per input) arrive in many small flushed pieces, many at once, each after a 429 from the preferred
 * deployment. Some clients read the whole response; others leave as soon as they hold the whole JSON body, before
 * the gateway has seen the body end (their connection closed, or reset). The tenant must be charged exactly the
 * usage every body reports, and the request log must say so. A client that leaves before the body is whole is
 * logged and charged as cancelled. Each test has a tenant of its own: its bucket sees that test's requests only.
 */
@GatewayTest(properties = { "spillway.limits.tiers.bulk.tokens-per-day=100000000",
		"spillway.limits.tiers.bulk.requests-per-minute=100000", "spillway.tenants.bulk.keys=sk-bulk",
		"spillway.tenants.bulk.tier=bulk", "spillway.tenants.leaver.keys=sk-leaver",
		"spillway.tenants.leaver.tier=bulk", "spillway.pools.gpt.models=gpt-4o,text-embedding-3-small",
		"spillway.pools.gpt.max-attempts=4", "spillway.pools.gpt.max-wait=5s",
		"spillway.routing.throttle.min-duration=1ms" })
class LargeJsonUsageTests {

	static final PiecewiseJsonBackend backend = PiecewiseJsonBackend.start();

	static final Pattern LOG_LINE = Pattern
		.compile("request_id=(\\S+) .* outcome=(\\S+) .* prompt_tokens=(\\d+) completion_tokens=(\\d+)");

	@LocalServerPort
	int port;

	@Autowired
	ApplicationContext gateway;

	@Autowired
	MeterRegistry meters;

	final Map<String, Logged> logged = new ConcurrentHashMap<>();

	final AppenderBase<ILoggingEvent> requestLog = new AppenderBase<>() {
		@Override
		protected void append(ILoggingEvent event) {
			Matcher line = LOG_LINE.matcher(event.getFormattedMessage());
			if (line.find()) {
				logged.put(line.group(1),
						new Logged(line.group(2), Long.parseLong(line.group(3)), Long.parseLong(line.group(4))));
			}
		}
	};

	@DynamicPropertySource
	static void pool(DynamicPropertyRegistry registry) {
		// Every request meets a 429 first (its body read from the connection), then goes to "a" or "b".
		String[] deployments = { "throttled", "a", "b" };
		for (int i = 0; i < deployments.length; i++) {
			String deployment = deployments[i];
			int priority = i == 0 ? 1 : 2;
			registry.add("spillway.pools.gpt.backends[" + i + "].id", () -> deployment);
			registry.add("spillway.pools.gpt.backends[" + i + "].type", () -> "azure");
			registry.add("spillway.pools.gpt.backends[" + i + "].deployment", () -> deployment);
			registry.add("spillway.pools.gpt.backends[" + i + "].url", backend::baseUrl);
			registry.add("spillway.pools.gpt.backends[" + i + "].priority", () -> priority);
		}
	}

	@BeforeEach
	void listen() {
		requestLog.start();
		((Logger) LoggerFactory.getLogger("dev.spillway.gateway.request")).addAppender(requestLog);
	}

	@AfterEach
	void stopListening() {
		((Logger) LoggerFactory.getLogger("dev.spillway.gateway.request")).detachAppender(requestLog);
	}

	@AfterAll
	static void stop() {
		backend.close();
	}

	@Test
	void largeAnswersInManyPiecesAtOnceAreEachChargedTheUsageTheirBodyReports() {
		long before = TenantBuckets.availableTokens(gateway, "bulk", "gpt-4o");
		List<Call> calls = new ArrayList<>();
		for (int i = 0; i < 64; i++) {
			boolean embeddings = i % 4 == 3;
			Answer answer = Answer.of(1000 + i, embeddings ? 0 : 1522 + i).pieces(64 + 97 * (i % 7), i % 3 * 300);
			// A third of the clients leave once they hold the whole body, which never ends: the gateway has relayed
			// all of it, usage included, but never sees its end before the client is gone.
			Leaving leaving = i % 3 == 0 ? Leaving.NO : i % 3 == 1 ? Leaving.CLOSES : Leaving.RESETS;
			calls.add(new Call("large-" + i, embeddings,
					leaving == Leaving.NO ? answer.sized(i % 2 == 0) : answer.holdAfter(Integer.MAX_VALUE), leaving,
					"sk-bulk"));
		}

		List<String> bodies = Flux.fromIterable(calls)
			.flatMap(call -> Mono.fromCallable(() -> send(call)).subscribeOn(Schedulers.boundedElastic()), 16)
			.collectList()
			.block(Duration.ofSeconds(60));

		assertThat(bodies).hasSize(calls.size()).allSatisfy(body -> assertThat(body).contains("\"usage\":{"));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> calls.stream().allMatch(call -> logged.containsKey(call.id())));
		for (Call call : calls) {
			String outcome = call.leaving() == Leaving.NO ? "completed" : "cancelled";
			assertThat(logged.get(call.id())).as("request log of %s", call)
				.isEqualTo(new Logged(outcome, call.answer().prompt(), call.answer().completion()));
		}
		long used = calls.stream().mapToLong(call -> call.answer().prompt() + call.answer().completion()).sum();
		// Settlement is asynchronous: the balance comes to rest at exactly the usage the bodies reported.
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(before - TenantBuckets.availableTokens(gateway, "bulk", "gpt-4o"))
				.as("tokens charged to the tenant's bucket")
				.isEqualTo(used));
	}

	@Test
	void aClientThatLeavesWhileAJsonAnswerIsWrittenIsLoggedAndChargedAsCancelled() {
		long before = TenantBuckets.availableTokens(gateway, "leaver", "gpt-4o");
		double cancelledBefore = requests("leaver", "cancelled");
		int heldBefore = backend.heldAnswersCancelled();
		// Each body stops after four pieces: its usage never comes, and the client leaves holding a part of it.
		List<Call> calls = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			calls.add(new Call("leaves-midway-" + i, false, Answer.of(1000, 16000).holdAfter(4),
					i % 2 == 0 ? Leaving.CLOSES_EARLY : Leaving.RESETS_EARLY, "sk-leaver"));
		}

		calls.forEach(this::send);

		await().atMost(Duration.ofSeconds(10))
			.until(() -> calls.stream().allMatch(call -> logged.containsKey(call.id())));
		long charged = 0;
		for (Call call : calls) {
			Logged line = logged.get(call.id());
			assertThat(line.outcome()).as("outcome of %s", call).isEqualTo("cancelled");
			assertThat(line.completion()).as("no usage came, and no text was read").isZero();
			assertThat(line.prompt()).as("the prompt as the tokenizer counts it, not a usage never seen")
				.isPositive()
				.isNotEqualTo(1000);
			charged += line.prompt();
		}
		assertThat(requests("leaver", "cancelled")).isEqualTo(cancelledBefore + calls.size());
		long prompts = charged;
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(before - TenantBuckets.availableTokens(gateway, "leaver", "gpt-4o"))
				.as("charged the prompts, the reservations refunded")
				.isEqualTo(prompts));
		await().atMost(Duration.ofSeconds(5)).until(() -> backend.heldAnswersCancelled() == heldBefore + calls.size());
	}

	private double requests(String tenant, String outcome) {
		Counter counter = meters.find("spillway.requests").tag("tenant", tenant).tag("outcome", outcome).counter();
		return counter == null ? 0 : counter.count();
	}

	/** Sends the call and returns the JSON body it read. */
	private String send(Call call) {
		String path = call.embeddings() ? "/v1/embeddings" : "/v1/chat/completions";
		String body = call.embeddings()
				? "{\"model\":\"text-embedding-3-small\",\"user\":\"" + call.answer().user()
						+ "\",\"input\":[\"one\",\"two\",\"three\",\"four\"]}"
				: "{\"model\":\"gpt-4o\",\"max_tokens\":20000,\"user\":\"" + call.answer().user()
						+ "\",\"messages\":[{\"role\":\"user\",\"content\":\"Write it all out\"}]}";
		if (call.leaving() == Leaving.NO) {
			GatewayClient.Answer answer = new GatewayClient(port).post(path,
					Map.of("Authorization", "Bearer " + call.key(), "x-request-id", call.id()), body);
			assertThat(answer.status()).isEqualTo(200);
			return answer.body();
		}
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		try (Socket socket = new Socket("127.0.0.1", port)) {
			socket.setSoTimeout(30_000);
			socket.getOutputStream()
				.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
						+ "Authorization: Bearer " + call.key() + "\r\nx-request-id: " + call.id() + "\r\nContent-Length: "
						+ bytes.length + "\r\n\r\n")
					.getBytes(StandardCharsets.ISO_8859_1));
			socket.getOutputStream().write(bytes);
			socket.getOutputStream().flush();
			InputStream in = new BufferedInputStream(socket.getInputStream());
			String head = readHead(in);
			assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
			boolean early = call.leaving() == Leaving.CLOSES_EARLY || call.leaving() == Leaving.RESETS_EARLY;
			String json = early ? readChunk(in) : readWholeJson(in);
			if (call.leaving() == Leaving.RESETS || call.leaving() == Leaving.RESETS_EARLY) {
				socket.setSoLinger(true, 0);
			}
			else {
				// A close with unread bytes would also reset the connection: half-close, and read until the gateway
				// has closed its side, so it sees a clean close and nothing else.
				socket.shutdownOutput();
				in.transferTo(OutputStream.nullOutputStream());
			}
			return json;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static String readHead(InputStream in) throws IOException {
		StringBuilder head = new StringBuilder();
		while (head.indexOf("\r\n\r\n") < 0) {
			int b = in.read();
			assertThat(b).as("the answer's head").isNotNegative();
			head.append((char) b);
		}
		return head.toString();
	}

	/** Reads chunks until they hold one whole JSON document; the terminating chunk is not waited for. */
	private static String readWholeJson(InputStream in) throws IOException {
		StringBuilder json = new StringBuilder();
		int depth = 0;
		do {
			String chunk = readChunk(in);
			for (int i = 0; i < chunk.length(); i++) {
				depth += chunk.charAt(i) == '{' ? 1 : chunk.charAt(i) == '}' ? -1 : 0;
			}
			json.append(chunk);
		}
		while (depth > 0);
		return json.toString();
	}

	private static String readChunk(InputStream in) throws IOException {
		StringBuilder size = new StringBuilder();
		for (int b = in.read(); b != '\n'; b = in.read()) {
			assertThat(b).as("a chunk").isNotNegative();
			size.append((char) b);
		}
		byte[] data = in.readNBytes(Integer.parseInt(size.toString().trim(), 16));
		in.readNBytes(2);
		return new String(data, StandardCharsets.UTF_8);
	}

	enum Leaving {

		/** Reads the whole response. */
		NO,
		/** Closes its connection once it holds the whole JSON body. */
		CLOSES,
		/** Resets its connection once it holds the whole JSON body. */
		RESETS,
		/** Closes its connection after the first piece of the body. */
		CLOSES_EARLY,
		/** Resets its connection after the first piece of the body. */
		RESETS_EARLY

	}

	record Call(String id, boolean embeddings, Answer answer, Leaving leaving, String key) {
	}

	record Logged(String outcome, long prompt, long completion) {
	}

}
