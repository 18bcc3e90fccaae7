package dev.spillway.gateway.cache;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import reactor.core.publisher.Mono;

import dev.spillway.gateway.cache.ResponseCache.Lookup;
import dev.spillway.gateway.cache.ResponseCache.Lookup.Outcome;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.request.AnswerSource;
import dev.spillway.gateway.request.EventLoops;
import dev.spillway.gateway.request.HeavyWork;
import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.LlmRequest;
import dev.spillway.gateway.request.Slot;
import dev.spillway.gateway.wire.StoredAnswers;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

/**
 * Serves chat completions from the cache when it can, and marks misses to be stored when their answer is complete.
 * Never cached or served: requests with {@code Cache-Control: no-cache} or {@code no-store}, with
 * {@code x-spillway-cache: bypass}, with tools or functions, with non-text content, with {@code n > 1} or
 * {@code logprobs}, or with a temperature above the configured maximum. Responses say
 * {@code x-spillway-cache: HIT | SEMANTIC_HIT | MISS | BYPASS}, with {@code x-spillway-cache-similarity} and
 * {@code Age} on hits.
 */
class CacheFilter implements GlobalFilter, Ordered {

	/** Response header with the cache outcome; as a request header, {@code bypass} skips the cache. */
	public static final String CACHE_HEADER = "x-spillway-cache";

	/** Response header with the similarity of a semantic hit. */
	public static final String SIMILARITY_HEADER = "x-spillway-cache-similarity";

	/** How the cache served the request, when it looked at it. */
	static final Slot<Outcome> OUTCOME = Slot.named("cache.outcome");

	/** A miss waiting for its answer: where to store it, if the answer turns out complete and cacheable. */
	static final Slot<PendingStore> PENDING = Slot.named("cache.pending");

	/** A semantic candidate the self-check did not serve: compared with the backend's answer at the end. */
	static final Slot<PendingCheck> CHECK = Slot.named("cache.check");

	/** Response header on a request whose semantic candidate was checked against the backend instead of served. */
	public static final String SELF_CHECK_HEADER = "x-spillway-cache-self-check";

	private final ResponseCache cache;

	private final StoredAnswers answers;

	private final CacheProperties config;

	private final HeavyWork heavyWork;

	private final CacheSettings global;

	/** Settings per route id, from the routes' metadata: bounded by the configured routes. */
	private final Map<String, CacheSettings> byRoute = new ConcurrentHashMap<>();

	CacheFilter(ResponseCache cache, StoredAnswers answers, CacheProperties config, HeavyWork heavyWork) {
		this.cache = cache;
		this.answers = answers;
		this.config = config;
		this.heavyWork = heavyWork;
		this.global = new LlmCacheGatewayFilterFactory.Config().over(config);
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null || llm.request() == null) {
			return chain.filter(exchange);
		}
		CacheSettings settings = settings(exchange);
		if (!settings.enabled()) {
			return chain.filter(exchange);
		}
		LlmRequest request = llm.request();
		String scope = settings.sharedAcrossTenants() ? "*" : llm.tenant();
		if (!cacheable(exchange, request)) {
			return bypass(exchange, chain, llm);
		}
		// Keys hash the whole body: a large one is hashed on the CPU pool. When that is full, the cache is skipped.
		return heavyWork.run(request.bodyBytes().length, () -> CacheKeys.of(scope, llm.pool(), request.model(),
				request.operation().format(), request.body(), config.getLastUserMessages(), cache.embeddingModel()))
			.map(Optional::of)
			.onErrorResume(HeavyWork.Overloaded.class, full -> Mono.just(Optional.empty()))
			.flatMap(keys -> keys.isEmpty() ? bypass(exchange, chain, llm)
					: lookup(exchange, chain, llm, settings, scope, keys.get()));
	}

	/**
	 * The route's settings: its {@code LlmCache} filter's, else its (deprecated) metadata's, read once per route,
	 * else the global ones.
	 */
	private CacheSettings settings(ServerWebExchange exchange) {
		CacheSettings own = exchange.getAttribute(LlmCacheGatewayFilterFactory.SETTINGS_ATTR);
		if (own != null) {
			return own;
		}
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		if (route == null) {
			return global;
		}
		return byRoute.computeIfAbsent(route.getId(), id -> {
			LlmCacheGatewayFilterFactory.Config fromMetadata = CacheSettings.fromMetadata(route);
			return fromMetadata == null ? global : fromMetadata.over(config);
		});
	}

	private Mono<Void> bypass(ServerWebExchange exchange, GatewayFilterChain chain, LlmExchange llm) {
		llm.put(OUTCOME, Outcome.BYPASS);
		exchange.getResponse().getHeaders().set(CACHE_HEADER, Outcome.BYPASS.name());
		return chain.filter(exchange);
	}

	private Mono<Void> lookup(ServerWebExchange exchange, GatewayFilterChain chain, LlmExchange llm,
			CacheSettings settings, String scope, CacheKeys keys) {
		LlmRequest request = llm.request();
		HttpHeaders headers = exchange.getResponse().getHeaders();
		// A lookup that read Redis answers on a Lettuce I/O thread: the chain goes on on the connection's event loop.
		return EventLoops.resumeOnLoop(exchange,
				cache.lookup(settings, scope, llm.pool(), keys, config.getLookupTimeout()))
			.flatMap(lookup -> {
				llm.put(OUTCOME, lookup.outcome());
				headers.set(CACHE_HEADER, lookup.outcome().name());
				if (lookup.outcome() == Outcome.MISS) {
					if (!noStore(exchange)) {
						llm.put(PENDING, new PendingStore(scope, keys, settings.ttl(), lookup.vector()));
					}
					if (lookup.checked() != null) {
						llm.put(CHECK, new PendingCheck(llm.pool(), lookup.similarity(),
								request.body().path("temperature").asDouble(1.0) == 0, lookup.checked()));
						headers.set(SELF_CHECK_HEADER, String.format(Locale.ROOT, "%.4f", lookup.similarity()));
					}
					return chain.filter(exchange);
				}
				llm.answeredBy(AnswerSource.CACHE);
				return replay(exchange, request, lookup);
			});
	}

	private Mono<Void> replay(ServerWebExchange exchange, LlmRequest request, Lookup lookup) {
		ServerHttpResponse response = exchange.getResponse();
		HttpHeaders headers = response.getHeaders();
		headers.set(HttpHeaders.AGE, Long.toString(
				Math.max(0, (System.currentTimeMillis() - lookup.entry().createdAtMillis()) / 1000)));
		if (lookup.outcome() == Outcome.SEMANTIC_HIT) {
			headers.set(SIMILARITY_HEADER, String.format(Locale.ROOT, "%.4f", lookup.similarity()));
		}
		response.setStatusCode(HttpStatus.OK);
		return answers.replay(response, request.operation().format(), lookup.entry(), request.stream(),
				request.clientWantsUsage());
	}

	private boolean cacheable(ServerWebExchange exchange, LlmRequest request) {
		if (cacheControl(exchange).contains("no-cache") || noStore(exchange)) {
			return false;
		}
		if ("bypass".equalsIgnoreCase(exchange.getRequest().getHeaders().getFirst(CACHE_HEADER))) {
			return false;
		}
		return request.operation().format().cacheable(request.body(), config.getMaxTemperature());
	}

	private static boolean noStore(ServerWebExchange exchange) {
		return cacheControl(exchange).contains("no-store");
	}

	/** All the request's {@code Cache-Control} directives, lower-cased: their names are case-insensitive (RFC 9111). */
	private static String cacheControl(ServerWebExchange exchange) {
		return String.join(",", exchange.getRequest().getHeaders().getValuesAsList(HttpHeaders.CACHE_CONTROL))
			.toLowerCase(Locale.ROOT);
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.CACHE;
	}

}
