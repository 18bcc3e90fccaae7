package dev.spillway.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.SmartApplicationListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The no-setup default: before the application context starts, brings up an embedded Redis and two simulated
 * Azure OpenAI resources — a PTU deployment with a small tokens-per-minute budget and a pay-as-you-go one —
 * and points the configuration at them. Off when {@value #ENABLED} is false (the {@code real} profile).
 * Registered in {@code META-INF/spring.factories} so it also runs under tests and {@code java -jar}.
 */
public class EmbeddedDemo implements SmartApplicationListener {

	/** Property that turns the embedded Redis and simulated backends on (default) or off. */
	public static final String ENABLED = "spillway.demo.embedded";

	/** Tokens per minute of the simulated PTU deployment: small, so a few requests show the spillover. */
	public static final String PTU_TOKENS_PER_MINUTE = "spillway.demo.ptu-tokens-per-minute";

	private static final Logger log = LoggerFactory.getLogger(EmbeddedDemo.class);

	private RedisServer redis;

	private MockOpenAiServer ptu;

	private MockOpenAiServer paygo;

	@Override
	public boolean supportsEventType(Class<? extends ApplicationEvent> eventType) {
		return ApplicationEnvironmentPreparedEvent.class.isAssignableFrom(eventType)
				|| ContextClosedEvent.class.isAssignableFrom(eventType)
				|| ApplicationFailedEvent.class.isAssignableFrom(eventType);
	}

	@Override
	public void onApplicationEvent(ApplicationEvent event) {
		if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
			ConfigurableEnvironment environment = prepared.getEnvironment();
			if (environment.getProperty(ENABLED, Boolean.class, true)) {
				start(environment);
			}
		}
		else {
			stop();
		}
	}

	private synchronized void start(ConfigurableEnvironment environment) {
		if (redis != null) {
			return;
		}
		int redisPort = freePort();
		try {
			redis = RedisServer.newRedisServer()
				.bind("127.0.0.1")
				.port(redisPort)
				.setting("save \"\"")
				.setting("appendonly no")
				// Its log goes to ours: unread, the server would block once the pipe is full (64 KB).
				.soutListener(line -> log.debug("redis: {}", line))
				.serrListener(line -> log.warn("redis: {}", line))
				.build();
			redis.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start the embedded Redis", ex);
		}
		int ptuTokens = environment.getProperty(PTU_TOKENS_PER_MINUTE, Integer.class, 2_000);
		ptu = MockOpenAiServer.start("127.0.0.1", 0, List.of(new MockDeployment("gpt-4o-ptu", ptuTokens, 0,
				Duration.ofMillis(40), 40)));
		paygo = MockOpenAiServer.start("127.0.0.1", 0, List.of(
				new MockDeployment("gpt-4o-paygo", 100_000, 600, Duration.ofMillis(60), 40),
				MockDeployment.unlimited("text-embedding-3-small")));
		environment.getPropertySources().addFirst(new MapPropertySource("spillwayEmbeddedDemo", Map.of(
				"spring.data.redis.url", "redis://127.0.0.1:" + redisPort,
				"spillway.demo.ptu-url", ptu.baseUrl(),
				"spillway.demo.paygo-url", paygo.baseUrl())));
		log.info("Embedded demo: Redis on 127.0.0.1:{}, simulated PTU deployment at {} ({} tokens/min), "
				+ "pay-as-you-go at {}", redisPort, ptu.baseUrl(), ptuTokens, paygo.baseUrl());
	}

	private synchronized void stop() {
		if (ptu != null) {
			ptu.close();
			paygo.close();
			ptu = null;
			paygo = null;
		}
		if (redis != null) {
			try {
				redis.stop();
			}
			catch (IOException ex) {
				log.warn("Embedded Redis did not stop cleanly", ex);
			}
			redis = null;
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@Override
	public int getOrder() {
		// After Spring Boot has loaded application.yml, so spillway.demo.embedded from YAML and profiles counts.
		return Ordered.LOWEST_PRECEDENCE;
	}

}
