package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Pool "gpt": backend a (priority 1) and backend b (priority 2), both deployments of one simulated resource, with a
 * one-second spill budget. Each test gets a fresh gateway (throttles and circuits are state) and a reset mock.
 */
@GatewayTest(pool = { "a", "b" }, resetBackendOnStart = true, properties = { "spillway.pools.gpt.max-wait=1s",
		"spillway.routing.circuit-breaker.minimum-number-of-calls=4",
		"spillway.routing.circuit-breaker.sliding-window-size=4",
		"spillway.routing.circuit-breaker.wait-duration-in-open-state=20s",
		"management.endpoints.web.exposure.include=health,spillway",
		"management.endpoint.health.show-details=always" })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
class SmartLoadBalancingTests {

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a"),
			MockDeployment.unlimited("b"));

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	static final Map<String, String> NO_WAIT = Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0");

	static final String CHAT = """
			{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}""";

	static final String STREAM = """
			{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hello"}]}""";

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Autowired
	PoolRegistry pools;

	@Test
	void healthyPoolSendsEverythingToTheFirstPriority() {
		for (int i = 0; i < 10; i++) {
			assertThat(post(ACME).headers().get("x-spillway-backend")).isEqualTo("a");
		}
		assertThat(backend.requestCount("b")).isZero();
	}

	@Test
	void a429IsServedByTheNextBackendAndTheThrottledOneRestsUntilItsWaitHasPassed() throws Exception {
		backend.throttle("a", Duration.ofMillis(1500));

		Answer first = post(NO_WAIT);

		assertThat(first.status()).isEqualTo(200);
		assertThat(first.headers().get("x-spillway-backend")).isEqualTo("b");
		assertThat(backend.requestCount("a")).isEqualTo(1);
		for (int i = 0; i < 5; i++) {
			assertThat(post(NO_WAIT).headers().get("x-spillway-backend")).isEqualTo("b");
		}
		assertThat(backend.requestCount("a")).as("a rests while throttled").isEqualTo(1);

		// Once the gateway's own record of the throttle has passed (not a guessed wall-clock window), a serves again.
		long restsUntil = pools.instance("gpt", "a").state().throttledUntilMillis();
		assertThat(restsUntil).isGreaterThan(System.currentTimeMillis());
		await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > restsUntil);
		assertThat(post(NO_WAIT).headers().get("x-spillway-backend")).isEqualTo("a");
		assertThat(meters.counter("spillway.failovers", "pool", "gpt", "backend", "a", "reason", "rate_limited").count())
			.isEqualTo(1);
	}

	@Test
	void aShortThrottleWithinTheBudgetIsWaitedFor() {
		// A first request warms the fresh gateway up, so that the one measured reaches a within the throttle (a cold
		// first request could take longer than the throttle lasts on a loaded machine, and meet no 429).
		post(ACME);
		backend.clearRecords();
		// Long enough that the request meets it, short enough to fit the pool's 1 s budget.
		backend.throttle("a", Duration.ofMillis(700));

		Answer answer = post(ACME);

		// a's 429 was seen (a throttle is recorded), yet a served it and b was never called: the gateway waited.
		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("a");
		assertThat(pools.instance("gpt", "a").state().throttledUntilMillis()).isPositive();
		assertThat(backend.requestCount("b")).isZero();
	}

	@Test
	void aThrottleLongerThanTheBudgetSpillsAtOnce() {
		backend.throttle("a", Duration.ofSeconds(5));

		Answer answer = post(ACME);

		// Served by b while a's throttle still runs: the gateway did not wait it out.
		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("b");
		assertThat(pools.instance("gpt", "a").state().throttledUntilMillis()).isGreaterThan(System.currentTimeMillis());
		assertThat(backend.requestCount("a")).isEqualTo(1);
	}

	@Test
	void everythingThrottledIsOne429WithTheEarliestRecovery() {
		backend.throttle("a", Duration.ofSeconds(4));
		backend.throttle("b", Duration.ofSeconds(6));

		Answer answer = post(NO_WAIT);

		assertThat(answer.status()).isEqualTo(429);
		assertThat(answer.body()).contains("\"code\":\"rate_limit_exceeded\"").contains("pool 'gpt'");
		long retryAfterMs = Long.parseLong(answer.headers().get("retry-after-ms"));
		// a's recovery (4 s), not b's (6 s): never longer than the earliest throttle the backends announced.
		assertThat(retryAfterMs).isPositive().isLessThanOrEqualTo(4000L);
		assertThat(Long.parseLong(answer.headers().get("Retry-After"))).isEqualTo((retryAfterMs + 999) / 1000);
		assertThat(backend.requestCount("a") + backend.requestCount("b")).isEqualTo(2);

		Answer again = post(NO_WAIT);
		assertThat(again.status()).isEqualTo(429);
		assertThat(backend.requestCount("a") + backend.requestCount("b")).as("no backend asked again").isEqualTo(2);
	}

	@Test
	void streamsFailOverBeforeTheFirstByte() {
		backend.throttle("a", Duration.ofSeconds(3));

		List<GatewayClient.Chunk> chunks = client().stream("/v1/chat/completions", NO_WAIT, STREAM)
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat(chunks.get(0).headers().get("x-spillway-backend")).isEqualTo("b");
		assertThat(GatewayClient.events(chunks)).last().isEqualTo("[DONE]");
	}

	@Test
	void streamsAreNeverRetriedAfterTheFirstByte() {
		backend.faults("a", "reset-after=2");

		List<String> events = GatewayClient.events(client().stream("/v1/chat/completions", ACME, STREAM)
			.collectList()
			.block(Duration.ofSeconds(10)));

		// A TCP reset may drop the last event in flight; what matters is how the stream ends.
		assertThat(events.get(0)).contains("chat.completion.chunk");
		assertThat(events).last().asString().contains("upstream_stream_error");
		assertThat(events).doesNotContain("[DONE]");
		assertThat(backend.requestCount("a")).isEqualTo(1);
		assertThat(backend.requestCount("b")).isZero();
	}

	@Test
	void serverErrorsFailOver() {
		backend.faults("a", "status=503");

		Answer answer = post(ACME);

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("b");
	}

	@Test
	void clientErrorsPassThroughWithoutFailover() {
		backend.faults("a", "status=400");

		Answer answer = post(ACME);

		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.body()).contains("invalid_request_error");
		assertThat(backend.requestCount("b")).isZero();
	}

	@Test
	void insufficientQuotaTakesTheBackendOutForLong() {
		backend.faults("a", "quota=1");

		Answer answer = post(ACME);
		Answer state = client().get("/actuator/spillway");

		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("b");
		assertThat(state.body()).contains("\"throttleReason\":\"quota_exhausted\"");
		String until = state.body().replaceAll("(?s).*\"throttledUntil\":\"([^\"]+)\".*", "$1");
		assertThat(java.time.Instant.parse(until)).isAfter(java.time.Instant.now().plus(Duration.ofMinutes(59)));
	}

	@Test
	void repeatedFailuresOpenTheCircuitAndTheBackendGetsNothingMore() {
		backend.faults("a", "status=500");

		for (int i = 0; i < 4; i++) {
			assertThat(post(ACME).status()).isEqualTo(200);
		}
		assertThat(backend.requestCount("a")).isEqualTo(4);
		for (int i = 0; i < 5; i++) {
			assertThat(post(ACME).headers().get("x-spillway-backend")).isEqualTo("b");
		}

		assertThat(backend.requestCount("a")).isEqualTo(4);
		assertThat(client().get("/actuator/health").body()).contains("\"a\":\"CIRCUIT_OPEN until");
	}

	@Test
	void everyCircuitOpenIs503WithRetryAfter() {
		backend.faults("a", "status=500");
		backend.faults("b", "status=500");

		for (int i = 0; i < 4; i++) {
			assertThat(post(ACME).status()).as("the last backend's 500 passes through").isEqualTo(500);
		}
		Answer answer = post(ACME);

		assertThat(answer.status()).isEqualTo(503);
		assertThat(answer.body()).contains("backends_unavailable");
		assertThat(Long.parseLong(answer.headers().get("Retry-After"))).as("at most the 20 s the circuits stay open")
			.isPositive()
			.isLessThanOrEqualTo(20L);
	}

	@Test
	void healthAndTheEndpointShowEachBackend() {
		backend.throttle("a", Duration.ofSeconds(30));
		post(NO_WAIT);

		String health = client().get("/actuator/health").body();
		String state = client().get("/actuator/spillway").body();

		assertThat(health).contains("\"spillway\"").contains("\"a\":\"THROTTLED until").contains("\"b\":\"UP\"")
			.contains("\"sharedState\":\"CONNECTED\"");
		assertThat(state).contains("\"state\":\"THROTTLED\"").contains("\"throttleReason\":\"rate_limited\"");
	}

	private Answer post(Map<String, String> headers) {
		return client().post("/v1/chat/completions", headers, CHAT);
	}

	private GatewayClient client() {
		return new GatewayClient(port);
	}

}
