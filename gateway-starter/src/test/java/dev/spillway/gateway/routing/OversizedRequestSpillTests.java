package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.TestWireMock;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The seeds' central promise for the case real clients met: a PTU deployment of 2,000 tokens a minute and a
 * pay-as-you-go one, both idle, and a request whose prompt plus {@code max_tokens} is larger than the PTU's whole
 * budget. It must be served by pay-as-you-go with at most one PTU call, from a cold start and across instances,
 * whatever retry hint the PTU gives, and without benching the PTU for the requests it can serve.
 */
class OversizedRequestSpillTests {

	static final String LARGE = "{\"model\":\"gpt-4o\",\"max_tokens\":2500,\"messages\":[{\"role\":\"user\",\"content\":\"Write a long essay\"}]}";

	static final String SMALL = "{\"model\":\"gpt-4o\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme");

	private final MockOpenAiServer backend = MockOpenAiServer.start(
			MockDeployment.unlimited("ptu").withTokensPerMinute(2_000),
			MockDeployment.unlimited("paygo").withTokensPerMinute(100_000));

	private final String prefix = "spill-" + UUID.randomUUID();

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	@AfterEach
	void stop() {
		instances.forEach(ConfigurableApplicationContext::close);
		backend.close();
	}

	@Test
	void aRequestLargerThanThePtusBudgetIsServedByPayAsYouGoWithAtMostOnePtuCall() {
		ConfigurableApplicationContext one = start();
		ConfigurableApplicationContext two = start();

		Answer first = client(one).post("/v1/chat/completions", ACME, LARGE);

		assertThat(first.status()).isEqualTo(200);
		assertThat(first.headers().get("x-spillway-backend")).isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).isEqualTo(1);

		// The other instance learns the PTU's limit from the shared hint and never sends it a request this large.
		BackendState onTwo = two.getBean(PoolRegistry.class).instance("gpt", "ptu").state();
		await().atMost(Duration.ofSeconds(5)).until(() -> onTwo.maxRequestTokens(System.currentTimeMillis()) > 0);
		for (int i = 0; i < 3; i++) {
			assertThat(client(two).post("/v1/chat/completions", ACME, LARGE).headers().get("x-spillway-backend"))
				.isEqualTo("paygo");
			assertThat(client(one).post("/v1/chat/completions", ACME, LARGE).headers().get("x-spillway-backend"))
				.isEqualTo("paygo");
		}
		assertThat(backend.requestCount("ptu")).isEqualTo(1);

		// The PTU is not benched by a request it could never take: the requests it can serve still go there.
		assertThat(client(one).post("/v1/chat/completions", ACME, SMALL).headers().get("x-spillway-backend"))
			.isEqualTo("ptu");
		assertThat(client(two).post("/v1/chat/completions", ACME, SMALL).headers().get("x-spillway-backend"))
			.isEqualTo("ptu");
		MeterRegistry meters = one.getBean(MeterRegistry.class);
		assertThat(meters.find("spillway.backend.throttles").tag("backend", "ptu").counter()).isNull();
		assertThat(meters.get("spillway.failovers").tag("backend", "ptu").tag("reason", "too_large").counter().count())
			.isEqualTo(1);
	}

	@Test
	void itHoldsWhenThePtuAdvisesAOneMillisecondWait() {
		// How the simulated PTU answered before it behaved like Azure: retry-after-ms 1 for a request it can never take.
		backend.faults("ptu", "impossible-hint-ms=1");
		ConfigurableApplicationContext one = start();

		Answer answer = client(one).post("/v1/chat/completions", ACME, LARGE);
		Answer again = client(one).post("/v1/chat/completions", ACME, LARGE);

		assertThat(answer.status()).isEqualTo(200);
		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("paygo");
		assertThat(again.headers().get("x-spillway-backend")).isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).isEqualTo(1);
	}

	@Test
	void aConfiguredLimitSkipsThePtuWithoutCallingIt() {
		ConfigurableApplicationContext one = start(Map.of("spillway.pools.gpt.backends[0].max-request-tokens", 2000));

		Answer answer = client(one).post("/v1/chat/completions", ACME, LARGE);

		assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).isZero();
	}

	@Test
	void aBackendThatSendsNoLimitHeadersIsRetriedAtMostOnceThenTheRequestSpills() {
		// A PTU that answers every request 429 with a 1 ms hint and no x-ratelimit-* headers: nothing tells the gateway
		// the request can never fit, so only the at-most-one-retry rule keeps it from spending every attempt there.
		WireMockServer ptu = TestWireMock.started();
		ptu.stubFor(WireMock.post(WireMock.anyUrl()).willReturn(WireMock.aResponse().withStatus(429)
			.withHeader("retry-after-ms", "1")
			.withHeader("Content-Type", "application/json")
			.withBody("{\"error\":{\"code\":\"429\",\"message\":\"Requests to the ChatCompletions_Create Operation "
					+ "have exceeded token rate limit. Please retry after 1 second.\"}}")));
		try {
			ConfigurableApplicationContext one = start(Map.of("spillway.pools.gpt.backends[0].url", ptu.baseUrl()));

			Answer answer = client(one).post("/v1/chat/completions", ACME, LARGE);

			assertThat(answer.status()).isEqualTo(200);
			assertThat(answer.headers().get("x-spillway-backend")).isEqualTo("paygo");
			assertThat(ptu.getAllServeEvents()).hasSize(2);
			MeterRegistry meters = one.getBean(MeterRegistry.class);
			assertThat(meters.get("spillway.backend.retries").tag("backend", "ptu").counter().count()).isEqualTo(1);
			assertThat(meters.get("spillway.failovers").tag("backend", "ptu").counter().count()).isEqualTo(1);
		}
		finally {
			ptu.stop();
		}
	}

	private ConfigurableApplicationContext start() {
		return start(Map.of());
	}

	private ConfigurableApplicationContext start(Map<String, Object> overrides) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", prefix);
		properties.put("spillway.pools.gpt.max-wait", "2s");
		String[] deployments = { "ptu", "paygo" };
		for (int i = 0; i < 2; i++) {
			properties.put("spillway.pools.gpt.backends[" + i + "].id", deployments[i]);
			properties.put("spillway.pools.gpt.backends[" + i + "].type", "azure");
			properties.put("spillway.pools.gpt.backends[" + i + "].deployment", deployments[i]);
			properties.put("spillway.pools.gpt.backends[" + i + "].url", backend.baseUrl());
			properties.put("spillway.pools.gpt.backends[" + i + "].priority", i + 1);
		}
		properties.putAll(overrides);
		ConfigurableApplicationContext context = new SpringApplicationBuilder(TestGatewayApplication.class)
			.properties(properties)
			.run();
		instances.add(context);
		return context;
	}

	private static GatewayClient client(ConfigurableApplicationContext context) {
		return new GatewayClient(((WebServerApplicationContext) context).getWebServer().getPort());
	}

}
