package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two gateway instances on one Redis, a PTU ("ptu", priority 1) with a small token budget that reports what it has
 * left and its utilization, and a pay-as-you-go backend ("paygo", priority 2). With the proactive spill on, what
 * one instance learns of the PTU's room reaches the other, which then passes the PTU over before it answers 429.
 */
class ProactiveSpillTests {

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0");

	/** About 525 tokens as the mock counts them (its prompt estimate plus max_tokens). */
	static final String CHAT = """
			{"model":"gpt-4o","max_tokens":500,"messages":[{"role":"user","content":"Hello"}]}""";

	private final MockOpenAiServer backend = MockOpenAiServer.start(
			new MockDeployment("ptu", 1200, 0, Duration.ZERO, 10), MockDeployment.unlimited("paygo"));

	private final String keyPrefix = "proactive-" + UUID.randomUUID();

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	@AfterEach
	void stop() {
		instances.forEach(ConfigurableApplicationContext::close);
		backend.close();
	}

	@Test
	void whatOneInstanceLearnsOfThePtusRoomReachesTheOtherWhichSpillsBeforeA429() {
		ConfigurableApplicationContext one = startInstance(Map.of("spillway.routing.headroom.proactive", true));
		ConfigurableApplicationContext two = startInstance(Map.of("spillway.routing.headroom.proactive", true));
		awaitListening(2);

		assertThat(servedBy(one)).isEqualTo("ptu");
		assertThat(servedBy(one)).isEqualTo("ptu");
		BackendState ptuOnTwo = two.getBean(PoolRegistry.class).instance("gpt", "ptu").state();
		await().atMost(Duration.ofSeconds(5)).until(() -> ptuOnTwo.remainingTokens() >= 0
				&& ptuOnTwo.remainingTokens() < 525);

		assertThat(servedBy(two)).as("instance two never asked the PTU, yet knows it has no room").isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).as("no request reached the PTU to be refused").isEqualTo(2);
	}

	@Test
	void withTheProactiveSpillOffTheOtherInstanceLearnsOnlyFromTheBackends429() {
		ConfigurableApplicationContext one = startInstance(Map.of());
		ConfigurableApplicationContext two = startInstance(Map.of());
		awaitListening(2);

		assertThat(servedBy(one)).isEqualTo("ptu");
		assertThat(servedBy(one)).isEqualTo("ptu");

		assertThat(servedBy(two)).isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).as("instance two's request was refused by the PTU first").isEqualTo(3);
	}

	@Test
	void aPtuReportingUtilizationAboveTheLevelIsPassedOverByEveryInstance() {
		Map<String, Object> utilization = Map.of("spillway.routing.headroom.proactive", true,
				"spillway.routing.headroom.utilization-level", 40, "spillway.routing.headroom.utilization-hold", "60s");
		ConfigurableApplicationContext one = startInstance(utilization);
		ConfigurableApplicationContext two = startInstance(utilization);
		awaitListening(2);

		// A small request: room is left, but 525 of 1,200 tokens is over 40 % in use.
		assertThat(servedBy(one)).isEqualTo("ptu");
		BackendState ptuOnTwo = two.getBean(PoolRegistry.class).instance("gpt", "ptu").state();
		await().atMost(Duration.ofSeconds(5)).until(() -> ptuOnTwo.headroom().last().utilization() >= 40);

		assertThat(servedBy(one, 10)).isEqualTo("paygo");
		assertThat(servedBy(two, 10)).isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).isEqualTo(1);
	}

	private String servedBy(ConfigurableApplicationContext instance) {
		GatewayClient.Answer answer = client(instance).post("/v1/chat/completions", ACME, CHAT);
		assertThat(answer.status()).isEqualTo(200);
		return answer.headers().get("x-spillway-backend");
	}

	private String servedBy(ConfigurableApplicationContext instance, int maxTokens) {
		GatewayClient.Answer answer = client(instance).post("/v1/chat/completions", ACME,
				CHAT.replace("\"max_tokens\":500", "\"max_tokens\":" + maxTokens));
		assertThat(answer.status()).isEqualTo(200);
		return answer.headers().get("x-spillway-backend");
	}

	private void awaitListening(int count) {
		try (StatefulRedisConnection<String, String> redis = TestRedis.connect(TestRedis.sharedUrl())) {
			await().atMost(Duration.ofSeconds(10))
				.until(() -> redis.sync().pubsubNumsub(keyPrefix + ":throttles").getOrDefault(keyPrefix + ":throttles",
						0L) >= count);
		}
	}

	private ConfigurableApplicationContext startInstance(Map<String, Object> extra) {
		Map<String, Object> properties = new HashMap<>(extra);
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", keyPrefix);
		String[] ids = { "ptu", "paygo" };
		for (int i = 0; i < ids.length; i++) {
			properties.put("spillway.pools.gpt.backends[" + i + "].id", ids[i]);
			properties.put("spillway.pools.gpt.backends[" + i + "].type", "azure");
			properties.put("spillway.pools.gpt.backends[" + i + "].deployment", ids[i]);
			properties.put("spillway.pools.gpt.backends[" + i + "].url", backend.baseUrl());
			properties.put("spillway.pools.gpt.backends[" + i + "].priority", i + 1);
		}
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
