package dev.spillway.gateway.request;

import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;

/**
 * Spillway's own bounded pool for CPU-heavy request work: parsing and tokenizing large bodies, hashing them for
 * cache keys. Neither an event loop (which serves every connection on it) nor {@code Schedulers.parallel()} (which
 * also fires every timer: idle timeouts, lookup timeouts, delays) is kept busy by one large request. The pool's
 * threads are named {@value #THREAD_PREFIX}N; when every thread is busy and their queues are full, the request is
 * answered 503 {@code overloaded} with {@code Retry-After} rather than queued without bound.
 */
public class HeavyWork implements DisposableBean {

	/** Thread names of the pool start with this. */
	public static final String THREAD_PREFIX = "spillway-cpu-";

	/** Bodies larger than this are parsed, tokenized and hashed on this pool rather than where they arrive. */
	public static final int THRESHOLD_BYTES = 32 * 1024;

	private final Scheduler scheduler;

	public HeavyWork(int threads, int queueCapacityPerThread) {
		this.scheduler = Schedulers.newBoundedElastic(threads, queueCapacityPerThread,
				THREAD_PREFIX.substring(0, THREAD_PREFIX.length() - 1), 60, true);
	}

	/** Whether work on a body of {@code bytes} belongs on this pool. */
	public static boolean isHeavy(int bytes) {
		return bytes > THRESHOLD_BYTES;
	}

	/**
	 * Runs {@code work} on the pool; the chain continues there. Fails with {@link Overloaded} when the pool is full.
	 */
	public <T> Mono<T> run(Supplier<T> work) {
		return Mono.fromSupplier(work)
			.subscribeOn(scheduler)
			.onErrorMap(RejectedExecutionException.class, rejected -> new Overloaded());
	}

	/** Runs {@code work} on the pool when {@code bytes} is large, else where the caller is. */
	public <T> Mono<T> run(int bytes, Supplier<T> work) {
		return isHeavy(bytes) ? run(work) : Mono.fromSupplier(work);
	}

	/** Answers 503 {@code overloaded} with {@code Retry-After: 1}. */
	public static Mono<Void> overloaded(ServerWebExchange exchange) {
		ErrorResponses.retryAfter(exchange.getResponse().getHeaders(), 1000);
		return ErrorResponses.write(exchange, OpenAiError.server(HttpStatus.SERVICE_UNAVAILABLE, "overloaded",
				"The gateway is too busy to take this request right now. Please retry after the time in the "
						+ "Retry-After header."));
	}

	@Override
	public void destroy() {
		scheduler.dispose();
	}

	/** The pool had no room for the work. */
	public static final class Overloaded extends RuntimeException {

		Overloaded() {
			super("Spillway's CPU pool is full", null, false, false);
		}

	}

}
