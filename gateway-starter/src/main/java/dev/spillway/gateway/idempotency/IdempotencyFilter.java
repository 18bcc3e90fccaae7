package dev.spillway.gateway.idempotency;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.Hashes;
import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.idempotency.LlmIdempotencyGatewayFilterFactory.RouteIdempotency;
import dev.spillway.gateway.request.AnswerSource;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.HeavyWork;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.request.Slot;
import dev.spillway.gateway.wire.StoredAnswers;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

/**
 * Makes client retries safe. The first request with an {@code Idempotency-Key} (scoped by tenant) claims it; its
 * answer, once complete, is kept for the configured time. A repeat gets the same answer with
 * {@code Idempotent-Replayed: true} and no backend call (and no tokens charged); a duplicate that arrives while the
 * first is in flight waits for it, up to {@code wait-timeout} (then 409), woken when the first settles (announced on
 * Redis pub/sub, re-checked every {@code recheck-interval} in case an announcement is lost); a duplicate beyond
 * {@code max-waiters-per-key} gets 409 at once; the same key with a different request (body, path, {@code api-version}
 * or routing headers) is 422. Answers with a 5xx, 408, 409 or 429 status, and incomplete ones, are not kept: the client may retry. When
 * Redis cannot be reached, requests go on without idempotency (logged).
 */
class IdempotencyFilter implements GlobalFilter, Ordered {

	/** The key this request owns: its answer, once complete, is kept for the key's repeats. */
	static final Slot<IdempotencyClaim> CLAIM = Slot.named("idempotency.claim");

	/** The request header, as in the IETF draft and OpenAI's SDKs. */
	public static final String KEY_HEADER = "Idempotency-Key";

	/** Response header marking a replay. */
	public static final String REPLAYED_HEADER = "Idempotent-Replayed";

	private static final Logger log = LoggerFactory.getLogger(IdempotencyFilter.class);

	private final IdempotencyStore store;

	private final IdempotencyWaiters waiters;

	private final StoredAnswers answers;

	private final IdempotencyProperties config;

	private final RouteIdempotency global;

	private final HeavyWork heavyWork;

	IdempotencyFilter(IdempotencyStore store, IdempotencyWaiters waiters, StoredAnswers answers,
			IdempotencyProperties config, HeavyWork heavyWork) {
		this.store = store;
		this.waiters = waiters;
		this.answers = answers;
		this.config = config;
		this.global = new LlmIdempotencyGatewayFilterFactory.Config().over(config);
		this.heavyWork = heavyWork;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		String key = exchange.getRequest().getHeaders().getFirst(KEY_HEADER);
		RouteIdempotency route = exchange.getAttribute(LlmIdempotencyGatewayFilterFactory.SETTINGS_ATTR);
		if (route == null) {
			route = global;
		}
		if (llm == null || llm.request() == null || key == null || !route.enabled()) {
			return chain.filter(exchange);
		}
		if (key.isBlank() || key.length() > 255) {
			return ErrorResponses.write(exchange, OpenAiError.invalidRequest("invalid_idempotency_key",
					"Idempotency-Key must be 1 to 255 characters.", null));
		}
		String redisKey = store.key(llm.tenant(), Hashes.sha256Hex(key));
		// The fingerprint hashes the whole body: a large one is hashed on the CPU pool.
		RouteIdempotency settings = route;
		return heavyWork.run(llm.request().bodyBytes().length, () -> fingerprint(exchange, llm.request()))
			.map(Optional::of)
			.onErrorResume(HeavyWork.Overloaded.class, full -> Mono.just(Optional.empty()))
			.flatMap(fingerprint -> fingerprint.isEmpty() ? HeavyWork.overloaded(exchange)
					: claim(exchange, chain, llm, redisKey, fingerprint.get(), settings));
	}

	private Mono<Void> claim(ServerWebExchange exchange, GatewayFilterChain chain, LlmExchange llm, String redisKey,
			String fingerprint, RouteIdempotency route) {
		String pending = store.pendingValue(fingerprint);
		return EventLoops.resumeOnLoop(exchange, store.claim(redisKey, pending, config.getInFlightTtl())
			.onErrorResume(failure -> {
				log.warn("Idempotency-Key not honoured, Redis unreachable: {}", failure.toString());
				return Mono.just(Optional.of(new IdempotencyRecord("unavailable", fingerprint, 0, false, null, null, null)));
			}))
			.flatMap(existing -> {
				if (existing.isEmpty()) {
					llm.put(CLAIM, new IdempotencyClaim(redisKey, fingerprint, pending, route.ttl()));
					return chain.filter(exchange);
				}
				IdempotencyRecord record = existing.get();
				if ("unavailable".equals(record.state())) {
					return chain.filter(exchange);
				}
				if (!record.fingerprint().equals(fingerprint)) {
					return reused(exchange);
				}
				return record.done() ? replay(exchange, llm, record) : waitFor(exchange, chain, llm, redisKey, fingerprint);
			});
	}

	/** Waits for the in-flight twin; if it gave the key up (it failed), claims it anew. */
	private Mono<Void> waitFor(ServerWebExchange exchange, GatewayFilterChain chain, LlmExchange llm, String redisKey,
			String fingerprint) {
		IdempotencyWaiters.Waiter waiter = waiters.register(redisKey);
		if (waiter == null) {
			return inUse(exchange);
		}
		// Look now (the twin may have settled before this waiter was registered), then on each announcement, and on
		// a slow timer in case an announcement was lost.
		Flux<Object> looks = Flux.concat(Mono.just(Boolean.TRUE),
				Flux.merge(waiter.settled(), Flux.interval(config.getRecheckInterval())).onBackpressureDrop());
		return looks
			.concatMap(look -> store.get(redisKey)
				.map(Optional::of)
				.defaultIfEmpty(Optional.empty())
				.onErrorReturn(Optional.empty()), 1)
			.filter(record -> record.isEmpty() || record.get().done())
			.next()
			.timeout(config.getWaitTimeout())
			.doFinally(signal -> waiter.close())
			.transform(reply -> EventLoops.resumeOnLoop(exchange, reply))
			.flatMap(record -> {
				if (record.isPresent()) {
					return record.get().fingerprint().equals(fingerprint) ? replay(exchange, llm, record.get())
							: reused(exchange);
				}
				return filter(exchange, chain);
			})
			.onErrorResume(java.util.concurrent.TimeoutException.class, timeout -> inUse(exchange));
	}

	private static Mono<Void> inUse(ServerWebExchange exchange) {
		exchange.getResponse().getHeaders().set(HttpHeaders.RETRY_AFTER, "1");
		return ErrorResponses.write(exchange, new OpenAiError(HttpStatus.CONFLICT, OpenAiError.INVALID_REQUEST,
				"idempotency_key_in_use", "A request with this Idempotency-Key is still in progress.", null));
	}

	private Mono<Void> replay(ServerWebExchange exchange, LlmExchange llm, IdempotencyRecord record) {
		llm.answeredBy(AnswerSource.REPLAY);
		ServerHttpResponse response = exchange.getResponse();
		response.setStatusCode(HttpStatus.valueOf(record.status()));
		response.getHeaders().set(REPLAYED_HEADER, "true");
		if (record.stream() && record.answer() != null) {
			return answers.replay(response, llm.request().operation().format(), record.answer(), true,
					llm.request().clientWantsUsage());
		}
		return StoredAnswers.writeJson(response,
				record.json() == null ? new byte[0] : record.json().getBytes(StandardCharsets.UTF_8));
	}

	private static Mono<Void> reused(ServerWebExchange exchange) {
		return ErrorResponses.write(exchange, new OpenAiError(HttpStatus.UNPROCESSABLE_ENTITY,
				OpenAiError.INVALID_REQUEST, "idempotency_key_reused",
				"This Idempotency-Key was already used with a different request.", null));
	}

	/**
	 * What makes two requests the same: method, path, {@code api-version}, the headers addressed to the gateway
	 * ({@code x-spillway-*}: they may change the pool, the model or the wait budget) and the body.
	 */
	private static String fingerprint(ServerWebExchange exchange, LlmRequest request) {
		HttpHeaders headers = exchange.getRequest().getHeaders();
		StringBuilder head = new StringBuilder(exchange.getRequest().getMethod().name()).append(' ')
			.append(exchange.getRequest().getPath().value())
			.append('\n')
			.append(line("api-version", request.apiVersion()));
		headers.headerNames()
			.stream()
			.map(name -> name.toLowerCase(Locale.ROOT))
			.filter(name -> name.startsWith(OpenAiHeaders.SPILLWAY_PREFIX))
			.sorted()
			.distinct()
			.forEach(name -> headers.getValuesAsList(name).forEach(value -> head.append(line(name, value))));
		byte[] path = head.toString().getBytes(StandardCharsets.UTF_8);
		byte[] all = new byte[path.length + request.bodyBytes().length];
		System.arraycopy(path, 0, all, 0, path.length);
		System.arraycopy(request.bodyBytes(), 0, all, path.length, request.bodyBytes().length);
		return Hashes.sha256Hex(all);
	}

	private static String line(String name, String value) {
		// Header values cannot hold a line break, so one line per value keeps absent, empty and any value apart.
		return value == null ? name + "\n" : name + "=" + value + "\n";
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.IDEMPOTENCY;
	}

}
