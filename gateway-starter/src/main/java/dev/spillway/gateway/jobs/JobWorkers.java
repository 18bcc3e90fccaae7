package dev.spillway.gateway.jobs;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;

/**
 * Works off queued jobs. Every instance joins one consumer group on the job stream; a worker takes a job, sends its
 * request through this instance's own gateway (so it gets the same pool routing, failover and tenant limits), and
 * when the answer is a 429 or 503 it waits for the {@code Retry-After} and sends it again instead of failing — so
 * queued work drains at the pace the backends and the tenant's limits allow. A job held by an instance that died is
 * taken over after {@code reclaim-after}: a job is sent at least once, and twice when its first worker died
 * mid-call, with the job id as {@code Idempotency-Key} so a finished first call is replayed rather than billed again.
 * Workers poll without blocking Redis: a blocking read would hold Lettuce's shared connection.
 */
class JobWorkers implements ApplicationListener<WebServerInitializedEvent>, SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(JobWorkers.class);

	private static final String IDEMPOTENCY_KEY = "Idempotency-Key";

	private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
	};

	/** Attempts for a job whose answers are server errors other than 503, before it fails. */
	static final int MAX_SERVER_ERRORS = 5;

	private final JobStore store;

	private final JobToken token;

	private final WebClient.Builder webClient;

	private final int workers;

	private final Duration pollInterval;

	private final Duration reclaimAfter;

	private final int maxResultSize;

	private final long maxStoredBytesPerTenant;

	private final JsonMapper json;

	private final Clock clock;

	private final String consumer = "instance-" + UUID.randomUUID();

	private volatile Disposable running;

	private volatile WebClient gateway;

	private volatile int port;

	private volatile String reclaimCursor = "0-0";

	public JobWorkers(JobStore store, JobToken token, WebClient.Builder webClient, JobsProperties config,
			JsonMapper json, Clock clock) {
		this.store = store;
		this.token = token;
		this.webClient = webClient;
		this.workers = config.getWorkers();
		this.pollInterval = config.getPollInterval();
		this.reclaimAfter = config.getReclaimAfter();
		this.maxResultSize = (int) Math.min(Integer.MAX_VALUE - 1, config.getMaxResultSize().toBytes());
		this.maxStoredBytesPerTenant = config.getMaxStoredBytesPerTenant().toBytes();
		this.json = json;
		this.clock = clock;
	}

	@Override
	public void onApplicationEvent(WebServerInitializedEvent event) {
		String namespace = event.getApplicationContext().getServerNamespace();
		if (namespace != null && !namespace.isEmpty()) {
			return;
		}
		port = event.getWebServer().getPort();
		gateway = webClient.clone().codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(maxResultSize)).build();
		startWorkers();
	}

	private synchronized void startWorkers() {
		if (running != null || gateway == null) {
			return;
		}
		running = Flux.range(0, workers).flatMap(worker -> loop(), workers).subscribe();
	}

	private Mono<Void> loop() {
		return Mono.defer(this::step)
			.onErrorResume(failure -> {
				log.debug("Job worker step failed: {}", failure.toString());
				return Mono.just(false);
			})
			.flatMap(worked -> worked ? Mono.<Void>empty() : Mono.delay(pollInterval).then())
			.repeat()
			.then();
	}

	/** Takes one job (a stale one first, else a new one) and works it off; false when there was none. */
	private Mono<Boolean> step() {
		return reclaim().switchIfEmpty(Mono.defer(this::next))
			.flatMap(entry -> process(entry).thenReturn(true))
			.defaultIfEmpty(false);
	}

	private Mono<Entry> next() {
		return store.redis()
			.opsForStream()
			.read(Consumer.from(JobStore.GROUP, consumer), StreamReadOptions.empty().count(1),
					StreamOffset.create(store.queue(), ReadOffset.lastConsumed()))
			.next()
			.timeout(store.timeout())
			.map(record -> new Entry(record.getId().getValue(), String.valueOf(record.getValue().get("tenant")),
					String.valueOf(record.getValue().get("id"))))
			.onErrorResume(failure -> createGroup().then(Mono.empty()));
	}

	/**
	 * Takes over one job pending with a consumer that has not touched it for {@code reclaim-after}, scanning the
	 * whole pending list a page at a time across polls (so a long list of live jobs cannot hide a dead one).
	 */
	private Mono<Entry> reclaim() {
		return store.reclaim(consumer, reclaimAfter, reclaimCursor).flatMap(found -> {
			reclaimCursor = found.cursor();
			return found.entryId() == null ? Mono.<Entry>empty()
					: Mono.just(new Entry(found.entryId(), found.fields().get("tenant"), found.fields().get("id")));
		}).onErrorResume(failure -> Mono.empty());
	}

	private Mono<Void> createGroup() {
		return store.redis()
			.opsForStream()
			.createGroup(store.queue(), ReadOffset.from("0"), JobStore.GROUP)
			.timeout(store.timeout())
			.onErrorResume(failure -> Mono.empty())
			.then();
	}

	/**
	 * Works off one job and always ends it: whatever the outcome (an answer, an answer too large to keep, a gateway
	 * that cannot be reached), the job is finished, its place freed and its entry acknowledged, so nothing is sent
	 * upstream again. Only when this instance stops mid-call (or Redis fails before the end is written) does another
	 * instance take the job over and send it again, with the same {@code Idempotency-Key}.
	 */
	private Mono<Void> process(Entry entry) {
		Mono<Void> done = store.redis()
			.opsForStream()
			.acknowledge(store.queue(), JobStore.GROUP, entry.entryId())
			.then(store.redis().opsForStream().delete(store.queue(), entry.entryId()))
			.timeout(store.timeout())
			.then();
		return store.get(entry.tenant(), entry.jobId()).flatMap(job -> {
			if ("succeeded".equals(job.get("status")) || "failed".equals(job.get("status"))) {
				return done;
			}
			return store.update(entry.tenant(), entry.jobId(), Map.of("status", "running", "instance", consumer))
				.then(execute(entry, job, 0).transform(work -> heartbeat(entry.entryId(), work)))
				.flatMap(outcome -> finish(entry, outcome))
				.then(done);
		}).switchIfEmpty(done);
	}

	private Mono<JobStore.Finish> finish(Entry entry, Outcome outcome) {
		long maxBytes = maxStoredBytesPerTenant;
		return store.finish(entry.tenant(), entry.jobId(), outcome.fields(clock), outcome.bytes(), maxBytes)
			.flatMap(kept -> kept != JobStore.Finish.STORAGE_FULL ? Mono.just(kept)
					: store.finish(entry.tenant(), entry.jobId(), Outcome.failure("job_storage_full",
							"The result was not kept: the tenant's stored jobs and results would pass "
									+ "spillway.jobs.max-stored-bytes-per-tenant.").fields(clock), 0, maxBytes));
	}

	/**
	 * Keeps claiming the job while it is worked on (a job waiting out a long throttle is alive, not abandoned), so
	 * another instance only takes it over when this one stops.
	 */
	private <T> Mono<T> heartbeat(String entryId, Mono<T> work) {
		Flux<Object> beats = Flux.interval(reclaimAfter.dividedBy(3))
			.concatMap(tick -> store.redis()
				.opsForStream()
				.claim(store.queue(), JobStore.GROUP, consumer, Duration.ZERO, RecordId.of(entryId))
				.timeout(store.timeout())
				.onErrorResume(failure -> Flux.empty())
				.then());
		return Mono.usingWhen(Mono.fromSupplier(() -> beats.subscribe()), beating -> work,
				beating -> Mono.fromRunnable(beating::dispose));
	}

	/**
	 * Sends the job's request through this gateway, as the client sent it (path, query, Spillway's headers, body)
	 * with the job id as its {@code Idempotency-Key}; waits out 429s, 503s and a duplicate still in flight, retries
	 * other server errors and an unreachable gateway a few times.
	 */
	private Mono<Outcome> execute(Entry entry, Map<String, String> job, int serverErrors) {
		URI uri;
		Map<String, String> headers;
		try {
			uri = gatewayUri(port, job.get("path"), job.get("query"));
			headers = job.containsKey("headers") ? json.readValue(job.get("headers"), STRING_MAP) : Map.of();
		}
		catch (RuntimeException ex) {
			return Mono.just(Outcome.failure("invalid_job", "The job's request cannot be sent: " + ex.getMessage()));
		}
		return gateway.post()
			.uri(uri)
			.headers(h -> headers.forEach(h::set))
			.contentType(MediaType.APPLICATION_JSON)
			.header(JobToken.TOKEN_HEADER, token.value())
			.header(JobToken.TENANT_HEADER, entry.tenant())
			.header(JobCallerFilter.JOB_HEADER, entry.jobId())
			.header(IDEMPOTENCY_KEY, entry.jobId())
			.bodyValue(job.getOrDefault("body", ""))
			.exchangeToMono(response -> response.bodyToMono(String.class)
				.defaultIfEmpty("")
				.map(body -> new Reply(response.statusCode().value(), body,
						waitOf(response.headers().header("retry-after-ms"), response.headers().header("Retry-After")))))
			.flatMap(reply -> {
				if (reply.status == 429 || reply.status == 503
						|| (reply.status == 409 && reply.body.contains("idempotency_key_in_use"))) {
					return Mono.delay(Duration.ofMillis(reply.waitMillis))
						.then(Mono.defer(() -> execute(entry, job, serverErrors)));
				}
				if (reply.status >= 500 && serverErrors + 1 < MAX_SERVER_ERRORS) {
					return Mono.delay(Duration.ofSeconds(1L << serverErrors))
						.then(Mono.defer(() -> execute(entry, job, serverErrors + 1)));
				}
				return Mono.just(Outcome.answer(reply.status, reply.body));
			})
			.onErrorResume(DataBufferLimitException.class, tooLarge -> Mono.just(Outcome.failure("result_too_large",
					"The answer was larger than spillway.jobs.max-result-size (" + maxResultSize + " bytes) and was not kept.")))
			.onErrorResume(WebClientRequestException.class, unreachable -> serverErrors + 1 < MAX_SERVER_ERRORS
					? Mono.delay(Duration.ofSeconds(1L << serverErrors)).then(Mono.defer(() -> execute(entry, job, serverErrors + 1)))
					: Mono.just(Outcome.failure("gateway_unreachable", "The gateway could not be reached: "
							+ unreachable.getMessage())));
	}

	/**
	 * This instance's own address with the job's raw path and query appended, parsed as a whole URI (no template
	 * expansion), and refused unless it still names this instance: a path such as {@code //elsewhere/x} stays a path.
	 */
	static URI gatewayUri(int port, String path, String query) {
		if (path == null || !path.startsWith("/")) {
			throw new IllegalArgumentException("the job has no absolute path");
		}
		URI uri = URI.create("http://127.0.0.1:" + port + path + (query == null || query.isEmpty() ? "" : "?" + query));
		if (!"127.0.0.1".equals(uri.getHost()) || uri.getPort() != port || !path.equals(uri.getRawPath())) {
			throw new IllegalArgumentException("the job's path does not stay on this gateway");
		}
		return uri;
	}

	private static long waitOf(List<String> millis, List<String> seconds) {
		try {
			if (!millis.isEmpty()) {
				return Math.max(50, Long.parseLong(millis.get(0).trim()));
			}
			if (!seconds.isEmpty()) {
				return Math.max(50, (long) (Double.parseDouble(seconds.get(0).trim()) * 1000));
			}
		}
		catch (NumberFormatException ex) {
			// Fall through to the default pause.
		}
		return 1000;
	}

	@Override
	public void start() {
		startWorkers();
	}

	@Override
	public synchronized void stop() {
		if (running != null) {
			running.dispose();
			running = null;
		}
	}

	@Override
	public boolean isRunning() {
		return running != null;
	}

	private record Reply(int status, String body, long waitMillis) {
	}

	/** A stream entry: a job of a tenant, queued or taken over. */
	private record Entry(String entryId, String tenant, String jobId) {
	}

	/** How a job ended: an answer (kept with its status), or a failure of Spillway's own with a code and message. */
	private record Outcome(int status, String body, String errorCode, String errorMessage) {

		static Outcome answer(int status, String body) {
			return new Outcome(status, body, null, null);
		}

		static Outcome failure(String code, String message) {
			return new Outcome(0, null, code, message);
		}

		long bytes() {
			return body == null ? 0 : body.getBytes(StandardCharsets.UTF_8).length;
		}

		Map<String, String> fields(Clock clock) {
			Map<String, String> fields = new LinkedHashMap<>();
			fields.put("status", body != null && status < 400 ? "succeeded" : "failed");
			fields.put("completed_at", Long.toString(clock.millis() / 1000));
			if (body != null) {
				fields.put("result_status", Integer.toString(status));
				fields.put("result_body", body);
			}
			else {
				fields.put("error_code", errorCode);
				fields.put("error_message", errorMessage);
			}
			return fields;
		}

	}

}
