package dev.spillway.gateway.limit;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.TestClock;
import dev.spillway.gateway.TestRedis;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two instances' held tokens in one Redis hash: summed while fresh, dropped once an instance stops changing them. */
class HeldTokensTests {

	private final TestClock clock = TestClock.stoppedAt(Instant.parse("2026-12-02T10:00:00Z"));

	private final LettuceConnectionFactory redis = connect();

	private final String key = "held-" + UUID.randomUUID() + ":limit:{acme}:held";

	@AfterEach
	void close() {
		redis.destroy();
	}

	@Test
	void theHoldsOfAnInstanceThatStoppedChangingThemStopCounting() {
		ReactiveStringRedisTemplate template = new ReactiveStringRedisTemplate(redis);
		HeldTokens one = new HeldTokens(template, Duration.ofSeconds(2), clock, Duration.ofMinutes(5));
		HeldTokens two = new HeldTokens(template, Duration.ofSeconds(2), clock, Duration.ofMinutes(5));

		one.add(key, 100);
		two.add(key, 50);
		await().atMost(Duration.ofSeconds(5)).until(() -> one.read(key).block() == 150);

		two.add(key, -50);
		await().atMost(Duration.ofSeconds(5)).until(() -> two.read(key).block() == 100);

		// Instance one dies holding 100; instance two keeps the hash alive with changes of its own.
		clock.advance(Duration.ofMinutes(4));
		two.add(key, 30);
		await().atMost(Duration.ofSeconds(5)).until(() -> two.read(key).block() == 130);
		clock.advance(Duration.ofMinutes(2));
		two.add(key, 10);
		await().atMost(Duration.ofSeconds(5)).until(() -> two.read(key).block() == 40);
	}

	private static LettuceConnectionFactory connect() {
		java.net.URI url = java.net.URI.create(TestRedis.sharedUrl());
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(url.getHost(), url.getPort()));
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

}
