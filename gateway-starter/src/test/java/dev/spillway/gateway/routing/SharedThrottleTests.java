package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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

/** Several gateway instances on one Redis agree on which backends are throttled. */
class SharedThrottleTests {

	static final Map<String, String> NO_WAIT = Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0");

	static final String CHAT = """
			{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}""";

	private final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("a"),
			MockDeployment.unlimited("b"));

	private final String keyPrefix = "shared-" + UUID.randomUUID();

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	private ConfigurableApplicationContext one;

	private ConfigurableApplicationContext two;

	@BeforeEach
	void startTwoInstances() {
		one = startInstance();
		two = startInstance();
		// An instance hears throttles once its subscription is in place; starting returns before that.
		try (StatefulRedisConnection<String, String> redis = TestRedis.connect(TestRedis.sharedUrl())) {
			await().atMost(Duration.ofSeconds(10))
				.until(() -> redis.sync().pubsubNumsub(keyPrefix + ":throttles").getOrDefault(keyPrefix + ":throttles",
						0L) >= 2);
		}
	}

	@AfterEach
	void stopInstances() {
		instances.forEach(ConfigurableApplicationContext::close);
		backend.close();
	}

	@Test
	void aThrottleSeenByOneInstanceReachesTheOtherAndItSendsNothingThere() {
		backend.throttle("a", Duration.ofSeconds(10));
		BackendState onTwo = state(two, "a");
		assertThat(onTwo.throttledUntilMillis()).as("instance two knows nothing yet").isLessThan(System.currentTimeMillis());

		assertThat(client(one).post("/v1/chat/completions", NO_WAIT, CHAT).headers().get("x-spillway-backend"))
			.isEqualTo("b");

		assertThat(state(one, "a").throttledUntilMillis()).as("instance one throttled a")
			.isGreaterThan(System.currentTimeMillis());
		await().atMost(Duration.ofSeconds(5)).until(() -> onTwo.throttledUntilMillis() > System.currentTimeMillis());
		for (int i = 0; i < 10; i++) {
			assertThat(client(two).post("/v1/chat/completions", NO_WAIT, CHAT).headers().get("x-spillway-backend"))
				.isEqualTo("b");
		}
		assertThat(backend.requestCount("a")).as("only instance one's first request reached a").isEqualTo(1);
	}

	@Test
	void aStartingInstanceLoadsTheLiveThrottles() {
		backend.throttle("a", Duration.ofSeconds(10));
		client(one).post("/v1/chat/completions", NO_WAIT, CHAT);

		ConfigurableApplicationContext three = startInstance();

		await().atMost(Duration.ofSeconds(3))
			.until(() -> state(three, "a").throttledUntilMillis() > System.currentTimeMillis() + 5000);
		assertThat(client(three).post("/v1/chat/completions", NO_WAIT, CHAT).headers().get("x-spillway-backend"))
			.isEqualTo("b");
		assertThat(backend.requestCount("a")).isEqualTo(1);
	}

	@Test
	void aShorterThrottleNeverShortensALongerLiveOne() {
		long now = System.currentTimeMillis();
		SharedThrottles throttlesOne = one.getBean(SharedThrottles.class);
		SharedThrottles throttlesTwo = two.getBean(SharedThrottles.class);
		throttlesOne.throttle(instance(one, "a"), now + 10_000, "rate_limited");
		await().atMost(Duration.ofSeconds(2)).until(() -> state(two, "a").throttledUntilMillis() == now + 10_000);

		throttlesTwo.throttle(instance(two, "a"), now + 1_000, "rate_limited");
		state(one, "a").extendThrottle(now + 2_000, "rate_limited");

		assertThat(state(one, "a").throttledUntilMillis()).isEqualTo(now + 10_000);
		assertThat(state(two, "a").throttledUntilMillis()).isEqualTo(now + 10_000);
		try (StatefulRedisConnection<String, String> redis = TestRedis.connect(TestRedis.sharedUrl())) {
			String key = keyPrefix + ":throttle:gpt:a";
			await().atMost(Duration.ofSeconds(2)).until(() -> redis.sync().get(key) != null);
			assertThat(redis.sync().get(key)).startsWith(Long.toString(now + 10_000));
			assertThat(redis.sync().pttl(key)).isGreaterThan(8_000);
		}
	}

	private ConfigurableApplicationContext startInstance() {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", keyPrefix);
		for (int i = 0; i < 2; i++) {
			String id = i == 0 ? "a" : "b";
			properties.put("spillway.pools.gpt.backends[" + i + "].id", id);
			properties.put("spillway.pools.gpt.backends[" + i + "].type", "azure");
			properties.put("spillway.pools.gpt.backends[" + i + "].deployment", id);
			properties.put("spillway.pools.gpt.backends[" + i + "].url", backend.baseUrl());
			properties.put("spillway.pools.gpt.backends[" + i + "].priority", i + 1);
		}
		ConfigurableApplicationContext context = new SpringApplicationBuilder(TestGatewayApplication.class)
			.properties(properties)
			.run();
		instances.add(context);
		return context;
	}

	private static BackendInstance instance(ConfigurableApplicationContext context, String backend) {
		return context.getBean(PoolRegistry.class).instance("gpt", backend);
	}

	private static BackendState state(ConfigurableApplicationContext context, String backend) {
		return instance(context, backend).state();
	}

	private static GatewayClient client(ConfigurableApplicationContext context) {
		return new GatewayClient(((WebServerApplicationContext) context).getWebServer().getPort());
	}

}
