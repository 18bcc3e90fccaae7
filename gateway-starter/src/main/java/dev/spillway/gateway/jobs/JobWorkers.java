package dev.spillway.gateway.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.PendingMessage;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Works off queued jobs. Every instance joins one consumer group on the job stream; a worker takes a job, sends its
 * request through this instance's own gateway (so it gets the same pool routing, failover and tenant limits), and
 * when the answer is a 429 or 503 it waits for the {@code Retry-After} and sends it again instead of failing — so
 * queued work drains exactly at the pace the backends and the tenant's limits allow. A job held by an instance that
 * died is taken over after {@code reclaim-after}. Workers poll without blocking Redis: a blocking read would hold
 * Lettuce's shared connection.
 */
public class JobWorkers implements ApplicationListener<WebServerInitializedEvent>, SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(JobWorkers.class);

	/** Attempts for a job whose answers are server errors other than 503, before it fails. */
	static final int MAX_SERVER_ERRORS = 5;

	private final JobStore store;

	private final JobToken token;

	private final WebClient.Builder webClient;

	private final int workers;

	private final Duration pollInterval;

	private final Duration reclaimAfter;

	private final String consumer = "instance-" + UUID.randomUUID();

	private volatile Disposable running;

	private volatile WebClient gateway;

	public JobWorkers(JobStore store, JobToken token, WebClient.Builder webClient, int workers, Duration pollInterval,
			Duration reclaimAfter) {
		this.store = store;
		this.token = token;
		this.webClient = webClient;
		this.workers = workers;
		this.pollInterval = pollInterval;
		this.reclaimAfter = reclaimAfter;
	}

	@Override
	public void onApplicationEvent(WebServerInitializedEvent event) {
		String namespace = event.getApplicationContext().getServerNamespace();
		if (namespace != null && !namespace.isEmpty()) {
			return;
		}
		gateway = webClient.clone().baseUrl("http://127.0.0.1:" + event.getWebServer().getPort()).build();
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
		return reclaim().switchIfEmpty(Mono.defer(this::next)).flatMap(record -> process(record).thenReturn(true))
			.defaultIfEmpty(false);
	}

	private Mono<MapRecord<String, Object, Object>> next() {
		return store.redis()
			.opsForStream()
			.read(Consumer.from(JobStore.GROUP, consumer), StreamReadOptions.empty().count(1),
					StreamOffset.create(store.queue(), ReadOffset.lastConsumed()))
			.next()
			.onErrorResume(failure -> createGroup().then(Mono.empty()));
	}

	private Mono<MapRecord<String, Object, Object>> reclaim() {
		return store.redis()
			.opsForStream()
			.pending(store.queue(), JobStore.GROUP, Range.unbounded(), 10)
			.flatMapMany(pending -> Flux.fromIterable(pending))
			.filter(message -> message.getElapsedTimeSinceLastDelivery().compareTo(reclaimAfter) >= 0)
			.map(PendingMessage::getId)
			.next()
			.flatMap(id -> store.redis()
				.opsForStream()
				.claim(store.queue(), JobStore.GROUP, consumer, reclaimAfter, id)
				.next())
			.onErrorResume(failure -> Mono.empty());
	}

	private Mono<Void> createGroup() {
		return store.redis()
			.opsForStream()
			.createGroup(store.queue(), ReadOffset.from("0"), JobStore.GROUP)
			.onErrorResume(failure -> Mono.empty())
			.then();
	}

	private Mono<Void> process(MapRecord<String, Object, Object> record) {
		String tenant = String.valueOf(record.getValue().get("tenant"));
		String id = String.valueOf(record.getValue().get("id"));
		Mono<Void> done = store.redis()
			.opsForStream()
			.acknowledge(store.queue(), JobStore.GROUP, record.getId())
			.then(store.redis().opsForStream().delete(store.queue(), record.getId()))
			.then();
		return store.get(tenant, id).flatMap(job -> {
			if ("succeeded".equals(job.get("status")) || "failed".equals(job.get("status"))) {
				return done;
			}
			return store.update(tenant, id, Map.of("status", "running", "instance", consumer))
				.then(execute(tenant, job, 0).transform(work -> heartbeat(record, work)))
				.flatMap(reply -> store.update(tenant, id, Map.of("status", reply.status < 400 ? "succeeded" : "failed",
						"result_status", Integer.toString(reply.status), "result_body", reply.body, "completed_at",
						Long.toString(System.currentTimeMillis() / 1000))))
				.then(store.releaseSlot(tenant))
				.then(done);
		}).switchIfEmpty(done);
	}

	/**
	 * Keeps claiming the job while it is worked on (a job waiting out a long throttle is alive, not abandoned), so
	 * another instance only takes it over when this one stops.
	 */
	private <T> Mono<T> heartbeat(MapRecord<String, Object, Object> record, Mono<T> work) {
		Flux<Object> beats = Flux.interval(reclaimAfter.dividedBy(3))
			.concatMap(tick -> store.redis()
				.opsForStream()
				.claim(store.queue(), JobStore.GROUP, consumer, Duration.ZERO, record.getId())
				.onErrorResume(failure -> Flux.empty())
				.then());
		return Mono.usingWhen(Mono.fromSupplier(() -> beats.subscribe()), beating -> work,
				beating -> Mono.fromRunnable(beating::dispose));
	}

	/** Sends the job's request through this gateway, waiting out 429s and 503s. */
	private Mono<Reply> execute(String tenant, Map<String, String> job, int serverErrors) {
		return gateway.post()
			.uri(job.get("path"))
			.contentType(MediaType.APPLICATION_JSON)
			.header(JobToken.TOKEN_HEADER, token.value())
			.header(JobToken.TENANT_HEADER, tenant)
			.bodyValue(job.get("body"))
			.exchangeToMono(response -> response.bodyToMono(String.class)
				.defaultIfEmpty("")
				.map(body -> new Reply(response.statusCode().value(), body,
						waitOf(response.headers().header("retry-after-ms"), response.headers().header("Retry-After")))))
			.flatMap(reply -> {
				if (reply.status == 429 || reply.status == 503) {
					return Mono.delay(Duration.ofMillis(reply.waitMillis)).then(Mono.defer(() -> execute(tenant, job, serverErrors)));
				}
				if (reply.status >= 500 && serverErrors + 1 < MAX_SERVER_ERRORS) {
					return Mono.delay(Duration.ofSeconds(1L << serverErrors))
						.then(Mono.defer(() -> execute(tenant, job, serverErrors + 1)));
				}
				return Mono.just(reply);
			});
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

}
