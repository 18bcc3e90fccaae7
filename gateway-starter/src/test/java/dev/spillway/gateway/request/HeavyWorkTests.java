package dev.spillway.gateway.request;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.knuddels.jtokkit.api.Encoding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.wire.LlmOperation;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Where a request's work runs: large bodies are parsed and tokenized on Spillway's own CPU pool (never on
 * {@code Schedulers.parallel()}, whose threads fire every timer), a full pool answers 503 {@code overloaded}, and
 * after a Redis reply the chain goes on on the connection's event loop, never on a Lettuce I/O thread. The pool
 * has one thread and room for one waiting task; the tokenizer can be held to stand for a very long prompt.
 */
@GatewayTest(pool = "gpt-4o", properties = { "spillway.request.cpu-threads=1",
		"spillway.request.cpu-queue-capacity=1", "spillway.tenants.acme.tier=metered",
		"spillway.limits.tiers.metered.tokens-per-minute=100000000", "spillway.pools.gpt.models=gpt-4o" })
class HeavyWorkTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o"));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	/** The server's Netty event loops (Spring Boot names them {@code webflux-http-epoll-1} and the like). */
	static final String EVENT_LOOP = ".+-http-(nio|epoll|kqueue|io_uring)-\\d+";

	/** Thread names by request id and stage. */
	static final Map<String, String> threads = new ConcurrentHashMap<>();

	static volatile boolean hold;

	static volatile CountDownLatch tokenizing = new CountDownLatch(1);

	static volatile CountDownLatch release = new CountDownLatch(0);

	@LocalServerPort
	int port;

	@AfterEach
	void letGo() {
		hold = false;
		release.countDown();
	}

	@Test
	void afterParsingAndAfterTheRedisAdmissionTheChainRunsOnSpillwaysPoolOrTheEventLoopNeverOnLettuce() {
		GatewayClient client = new GatewayClient(port);

		assertThat(client.post("/v1/chat/completions", withId("small"), chat(10)).status()).isEqualTo(200);
		assertThat(client.post("/v1/chat/completions", withId("large"), chat(100 * 1024)).status()).isEqualTo(200);

		assertThat(threads.get("small/parsed")).matches(EVENT_LOOP);
		assertThat(threads.get("large/parsed")).startsWith("spillway-cpu-");
		assertThat(threads.get("small/admitted")).matches(EVENT_LOOP);
		assertThat(threads.get("large/admitted")).matches(EVENT_LOOP);
	}

	@Test
	void timersStillFireWhileAMultiMegabytePromptIsBeingTokenized() throws Exception {
		hold();
		CompletableFuture<GatewayClient.Answer> big = CompletableFuture
			.supplyAsync(() -> new GatewayClient(port).post("/v1/chat/completions", ACME, chat(3 * 1024 * 1024)));
		assertThat(tokenizing.await(20, TimeUnit.SECONDS)).isTrue();

		// One timer on each of Reactor's parallel threads, which fire every timer of the application.
		List<String> order = Collections.synchronizedList(new ArrayList<>());
		int threadsOfTimers = Schedulers.DEFAULT_POOL_SIZE;
		CountDownLatch fired = new CountDownLatch(threadsOfTimers);
		for (int i = 0; i < threadsOfTimers; i++) {
			Scheduler.Worker worker = Schedulers.parallel().createWorker();
			worker.schedule(() -> {
				order.add("timer fired");
				fired.countDown();
				worker.dispose();
			}, 1, TimeUnit.MILLISECONDS);
		}
		fired.await(5, TimeUnit.SECONDS);
		order.add("tokenizer released");
		release.countDown();

		assertThat(big.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
		await().atMost(Duration.ofSeconds(5)).until(() -> fired.getCount() == 0);
		List<String> expected = new ArrayList<>(Collections.nCopies(threadsOfTimers, "timer fired"));
		expected.add("tokenizer released");
		assertThat(order).containsExactlyElementsOf(expected);
	}

	@Test
	void aFullCpuPoolAnswers503OverloadedWithRetryAfter() throws Exception {
		hold();
		GatewayClient client = new GatewayClient(port);
		CompletableFuture<GatewayClient.Answer> running = CompletableFuture
			.supplyAsync(() -> client.post("/v1/chat/completions", ACME, chat(64 * 1024)));
		assertThat(tokenizing.await(20, TimeUnit.SECONDS)).isTrue();
		// The pool's one thread is busy: of two more large requests, one waits in the queue, one is turned away.
		CompletableFuture<GatewayClient.Answer> second = CompletableFuture
			.supplyAsync(() -> client.post("/v1/chat/completions", ACME, chat(64 * 1024)));
		CompletableFuture<GatewayClient.Answer> third = CompletableFuture
			.supplyAsync(() -> client.post("/v1/chat/completions", ACME, chat(64 * 1024)));

		GatewayClient.Answer turnedAway = (GatewayClient.Answer) CompletableFuture.anyOf(second, third)
			.get(20, TimeUnit.SECONDS);
		release.countDown();

		assertThat(turnedAway.status()).isEqualTo(503);
		assertThat(turnedAway.body()).contains("\"code\":\"overloaded\"");
		assertThat(turnedAway.headers().get("Retry-After")).isEqualTo("1");
		assertThat(running.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
		assertThat(List.of(second.get(30, TimeUnit.SECONDS).status(), third.get(30, TimeUnit.SECONDS).status()))
			.containsExactlyInAnyOrder(200, 503);
	}

	private static void hold() {
		tokenizing = new CountDownLatch(1);
		release = new CountDownLatch(1);
		hold = true;
	}

	private static Map<String, String> withId(String id) {
		return Map.of("Authorization", "Bearer sk-acme", "x-test-id", id);
	}

	/** A chat request whose prompt is {@code size} characters of words. */
	static String chat(int size) {
		StringBuilder content = new StringBuilder(size + 16);
		while (content.length() < size) {
			content.append("word ");
		}
		return "{\"model\":\"gpt-4o\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
	}

	@TestConfiguration
	static class Probes {

		/** Stands for a prompt that takes long to tokenize: while held, a large prompt waits to be let go. */
		@Bean
		TokenCounter holdingTokenCounter() {
			return new TokenCounter(Map.of()) {

				@Override
				public long promptTokens(Encoding encoding, dev.spillway.gateway.wire.LlmOperation operation,
						ObjectNode body) {
					if (hold && body.toString().length() > 32 * 1024) {
						tokenizing.countDown();
						try {
							release.await(30, TimeUnit.SECONDS);
						}
						catch (InterruptedException ex) {
							Thread.currentThread().interrupt();
						}
					}
					return super.promptTokens(encoding, operation, body);
				}

			};
		}

		@Bean
		@Order(SpillwayFilterOrders.REQUEST_BODY + 1)
		GlobalFilter afterParsing() {
			return recorder("parsed", SpillwayFilterOrders.REQUEST_BODY + 1);
		}

		@Bean
		GlobalFilter afterAdmission() {
			return recorder("admitted", SpillwayFilterOrders.LIMIT + 1);
		}

		private static GlobalFilter recorder(String stage, int order) {
			class Recorder implements GlobalFilter, Ordered {

				@Override
				public reactor.core.publisher.Mono<Void> filter(org.springframework.web.server.ServerWebExchange exchange,
						org.springframework.cloud.gateway.filter.GatewayFilterChain chain) {
					String id = exchange.getRequest().getHeaders().getFirst("x-test-id");
					if (id != null) {
						threads.put(id + "/" + stage, Thread.currentThread().getName());
					}
					return chain.filter(exchange);
				}

				@Override
				public int getOrder() {
					return order;
				}

			}
			return new Recorder();
		}

	}

}
