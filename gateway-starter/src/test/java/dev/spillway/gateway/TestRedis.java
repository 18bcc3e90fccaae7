package dev.spillway.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import redis.embedded.RedisServer;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * A real Redis for tests: the one {@code REDIS_URL} names when it is set, else an embedded server started once per
 * test JVM. {@link #dedicated()} starts a private one that a test may stop and restart.
 */
public final class TestRedis {

	private static String sharedUrl;

	private final int port;

	private RedisServer server;

	private TestRedis(int port) {
		this.port = port;
	}

	/** Points the gateway at the shared Redis, with a key prefix of its own so test classes never see each other. */
	public static void register(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.url", TestRedis::sharedUrl);
		String prefix = "test-" + UUID.randomUUID();
		registry.add("spillway.shared-state.key-prefix", () -> prefix);
	}

	public static synchronized String sharedUrl() {
		if (sharedUrl == null) {
			String external = System.getenv("REDIS_URL");
			if (external != null && !external.isBlank()) {
				sharedUrl = external;
			}
			else {
				TestRedis embedded = dedicated();
				Runtime.getRuntime().addShutdownHook(new Thread(embedded::stop));
				sharedUrl = embedded.url();
			}
		}
		return sharedUrl;
	}

	/** A private embedded Redis, started. */
	public static TestRedis dedicated() {
		TestRedis redis = new TestRedis(freePort());
		redis.start();
		return redis;
	}

	public String url() {
		return "redis://127.0.0.1:" + port;
	}

	public synchronized void start() {
		try {
			server = RedisServer.newRedisServer()
				.bind("127.0.0.1")
				.port(port)
				.setting("save \"\"")
				.setting("appendonly no")
				// Read what the server prints: nobody reading its output, it stops once the pipe is full (64 KB),
				// and a stop then waits for it forever.
				.soutListener(line -> {
				})
				.serrListener(line -> {
				})
				.build();
			server.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	public synchronized void stop() {
		if (server != null) {
			try {
				server.stop();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			server = null;
		}
	}

	/** A plain client connection, for tests that look into Redis. Close it. */
	public static StatefulRedisConnection<String, String> connect(String url) {
		return RedisClient.create(url).connect();
	}

	/** Calls per command since the last reset, from {@code INFO commandstats} (calls inside scripts included). */
	public static Map<String, Long> commandCalls(String commandStats) {
		Map<String, Long> calls = new HashMap<>();
		for (String line : commandStats.split("\r?\n")) {
			if (line.startsWith("cmdstat_")) {
				int start = line.indexOf("calls=") + "calls=".length();
				calls.put(line.substring("cmdstat_".length(), line.indexOf(':')),
						Long.parseLong(line.substring(start, line.indexOf(',', start))));
			}
		}
		return calls;
	}

	/** A loopback port nothing listens on right now. */
	public static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
