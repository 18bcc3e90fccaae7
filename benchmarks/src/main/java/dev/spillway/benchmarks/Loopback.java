package dev.spillway.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

import redis.embedded.RedisServer;

/** What the benchmarks start on this machine: free ports and embedded Redis servers that keep nothing on disk. */
public final class Loopback {

	private Loopback() {
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

	/** An embedded Redis on {@code port} of 127.0.0.1, not started, without snapshots or append-only file. */
	public static RedisServer redis(int port) {
		try {
			// Its output is read (and dropped): unread, the server blocks once the pipe is full.
			return RedisServer.newRedisServer().bind("127.0.0.1").port(port).setting("save \"\"")
				.setting("appendonly no").soutListener(line -> {
				}).serrListener(line -> {
				}).build();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
