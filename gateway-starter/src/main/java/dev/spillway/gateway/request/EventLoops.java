package dev.spillway.gateway.request;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;

import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;

/**
 * Brings a request's chain back to its connection's Netty event loop after a Redis reply. Lettuce completes
 * commands on its own I/O threads, which serve every Redis reply of the instance; the work a filter does next
 * (hashing, cache keys, the backend call's set-up) must not run there.
 */
public final class EventLoops {

	private static final String ATTRIBUTE = EventLoops.class.getName();

	private EventLoops() {
	}

	/** {@code reply}, its signals delivered on the event loop of the exchange's connection. */
	public static <T> Mono<T> resumeOnLoop(ServerWebExchange exchange, Mono<T> reply) {
		Scheduler loop = of(exchange);
		return loop == null ? reply : reply.publishOn(loop);
	}

	/** The scheduler of the exchange's connection's event loop, or {@code null} on a server that is not Netty. */
	static Scheduler of(ServerWebExchange exchange) {
		Scheduler loop = exchange.getAttribute(ATTRIBUTE);
		if (loop == null) {
			Object request;
			try {
				request = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
			}
			catch (IllegalArgumentException notNative) {
				return null;
			}
			if (!(request instanceof Connection connection)) {
				return null;
			}
			loop = Schedulers.fromExecutor(connection.channel().eventLoop());
			exchange.getAttributes().put(ATTRIBUTE, loop);
		}
		return loop;
	}

}
