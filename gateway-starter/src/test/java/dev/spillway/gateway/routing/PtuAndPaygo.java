package dev.spillway.gateway.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lettuce.core.api.StatefulRedisConnection;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.TestGateways;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Gateway instances on the tests' Redis under one key prefix, each serving pool {@code gpt} of two Azure backends on
 * a mock: {@code ptu} (priority 1) and {@code paygo} (priority 2). Closing stops every instance started.
 */
final class PtuAndPaygo implements AutoCloseable {

	static final Map<String, String> ACME = Map.of("Authorization", "Bearer sk-acme", "x-spillway-max-wait", "0");

	private final MockOpenAiServer backend;

	private final Clock clock;

	private final String keyPrefix = "ptu-paygo-" + UUID.randomUUID();

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	/** @param clock every instance's {@code spillwayClock}; {@code null} for the system clock */
	PtuAndPaygo(MockOpenAiServer backend, Clock clock) {
		this.backend = backend;
		this.clock = clock;
	}

	/** Starts one more instance with {@code extra} properties. */
	ConfigurableApplicationContext start(Map<String, ?> extra) {
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
		ConfigurableApplicationContext context = clock == null ? TestGateways.start(properties)
				: TestGateways.start(properties, clock);
		instances.add(context);
		return context;
	}

	/** Waits until every instance started listens for the others' throttle announcements. */
	void awaitListening() {
		String channel = keyPrefix + ":throttles";
		try (StatefulRedisConnection<String, String> redis = TestRedis.connect(TestRedis.sharedUrl())) {
			await().atMost(Duration.ofSeconds(10))
				.until(() -> redis.sync().pubsubNumsub(channel).getOrDefault(channel, 0L) >= instances.size());
		}
	}

	/** The backend that served {@code body} sent to {@code instance}, which must have answered 200. */
	static String servedBy(ConfigurableApplicationContext instance, String body) {
		GatewayClient.Answer answer = TestGateways.client(instance).post("/v1/chat/completions", ACME, body);
		assertThat(answer.status()).isEqualTo(200);
		return answer.headers().get("x-spillway-backend");
	}

	@Override
	public void close() {
		instances.forEach(ConfigurableApplicationContext::close);
	}

}
