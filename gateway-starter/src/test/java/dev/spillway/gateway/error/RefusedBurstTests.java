package dev.spillway.gateway.error;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.GatewayTest;
import dev.spillway.gateway.TestClock;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Forty requests refused together — by a tenant's request limit, and by a pool whose every backend is throttled —
 * are not all told the same moment. The gateway's clock is stopped, so buckets do not refill and throttles do not
 * run out: the time until each request could fit is exactly known (6 s for one request of a 10-per-minute tier; the
 * 10 s default throttle for a 429 without hints), and every advised wait is checked against it and the bound.
 */
@GatewayTest(pool = { "ptu", "paygo" }, properties = { "spillway.limits.tiers.tight.requests-per-minute=10",
		"spillway.tenants.tight.keys=sk-tight", "spillway.tenants.tight.tier=tight",
		"spillway.pools.gpt.models=gpt-4o", "spillway.pools.gpt.max-wait=0s", "spillway.limits.retry-spread=20s",
		"spillway.routing.retry-spread=5s" })
class RefusedBurstTests {

	static final String CHAT = "{\"model\":\"gpt-4o\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

	static final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("ptu"),
			MockDeployment.unlimited("paygo"));

	@LocalServerPort
	int port;

	@TestConfiguration
	static class StoppedClock {

		@Bean
		TestClock spillwayClock() {
			return TestClock.stoppedAt(Instant.now());
		}

	}

	@Test
	void aBurstRefusedByATenantsLimitIsToldConsecutiveMomentsNeverEarlierThanItCouldFit() throws Exception {
		for (int i = 0; i < 10; i++) {
			// Admitted (the backends may be throttled by the other test: an admission takes its request either way).
			assertThat(client().post("/v1/chat/completions", key("sk-tight"), CHAT).body())
				.doesNotContain("requests per minute");
		}

		List<Answer> refused = burst(key("sk-tight"));

		List<Long> waits = waits(refused);
		assertThat(refused).allSatisfy(answer -> assertThat(answer.body()).contains("requests per minute: limit 10"));
		// Nothing refills: each request alone could fit in exactly 60 s / 10.
		assertThat(waits).allSatisfy(wait -> assertThat(wait).isBetween(6_000L, 6_000L + 20_000));
		assertThat(new HashSet<>(waits)).as("not all told the same moment").hasSizeGreaterThan(1);
		// Four are given slots one request's refill apart within the bound; the rest are spread over it.
		assertThat(waits).contains(6_000L, 12_000L, 18_000L, 24_000L);
		assertThat(new HashSet<>(waits)).hasSizeGreaterThan(30);
		assertRetryAfterIsRoundedUp(refused);
	}

	@Test
	void aBurstRefusedByAnExhaustedPoolIsSpreadOverTheBoundNeverBeforeTheEarliestRecovery() throws Exception {
		// Both backends answer 429 without a hint: each is throttled for the default 10 s, from the stopped clock.
		backend.faults("ptu", "status=429");
		backend.faults("paygo", "status=429");
		try {
			List<Answer> refused = burst(key("sk-acme"));

			List<Long> waits = waits(refused);
			assertThat(refused).allSatisfy(answer -> assertThat(answer.body()).contains("is throttled"));
			assertThat(waits).allSatisfy(wait -> assertThat(wait).isBetween(10_000L, 10_000L + 5_000));
			assertThat(new HashSet<>(waits)).as("not all told the same moment").hasSizeGreaterThan(20);
			assertRetryAfterIsRoundedUp(refused);
		}
		finally {
			backend.faults("ptu", null);
			backend.faults("paygo", null);
		}
	}

	private List<Answer> burst(Map<String, String> headers) throws Exception {
		ExecutorService clients = Executors.newFixedThreadPool(40);
		try {
			List<Future<Answer>> sent = new ArrayList<>();
			for (int i = 0; i < 40; i++) {
				sent.add(clients.submit(() -> client().post("/v1/chat/completions", headers, CHAT)));
			}
			List<Answer> answers = new ArrayList<>();
			for (Future<Answer> answer : sent) {
				answers.add(answer.get());
			}
			assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).isEqualTo(429));
			return answers;
		}
		finally {
			clients.shutdownNow();
		}
	}

	private static List<Long> waits(List<Answer> answers) {
		return answers.stream().map(answer -> Long.parseLong(answer.headers().get("retry-after-ms"))).toList();
	}

	private static void assertRetryAfterIsRoundedUp(List<Answer> answers) {
		assertThat(answers).allSatisfy(answer -> assertThat(Long.parseLong(answer.headers().get("Retry-After")))
			.isEqualTo((Long.parseLong(answer.headers().get("retry-after-ms")) + 999) / 1000));
	}

	private static Map<String, String> key(String key) {
		return Map.of("Authorization", "Bearer " + key);
	}

	private GatewayClient client() {
		return new GatewayClient(port);
	}

}
