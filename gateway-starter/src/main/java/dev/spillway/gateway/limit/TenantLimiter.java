package dev.spillway.gateway.limit;

import java.time.Duration;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.Deadlines;
import dev.spillway.gateway.limit.Admission.Verdict;
import dev.spillway.gateway.limit.Admission.Where;
import dev.spillway.gateway.limit.LimitProperties.RedisDownPolicy;

/**
 * Enforces tenant limits with Bucket4j buckets in Redis, through Bucket4j's Lettuce proxy manager (compare and
 * swap, asynchronous; one round trip when this instance wrote the bucket last, see {@link KnownStateProxyManager}).
 * A tenant scope has a token bucket (per-minute and per-day bandwidths in one configuration)
 * and a request bucket; both are consulted at once, so their commands share the connection's round trips.
 * Admission takes the request's estimate; {@link #charge} later charges the difference to the real usage (a
 * refund, or an excess that may drive the balance negative so later requests wait). A request that does not fit the
 * tokens per minute while the scope's requests in flight hold enough reserved tokens (counted across instances by
 * {@link HeldTokens}) may wait for their refunds, up to {@code maxWait}, polling its admission with a growing pause;
 * at most {@code maxWaiters} per scope wait on this instance.
 * <p>
 * When Redis fails an admission, admissions apply the configured policy for {@code redis-retry-interval} before
 * Redis is tried again, so an outage never makes each request wait for a timeout.
 */
class TenantLimiter {

	private static final Logger log = LoggerFactory.getLogger(TenantLimiter.class);

	private final LimitBuckets buckets;

	private final Duration timeout;

	private final Duration retryInterval;

	private final RedisDownPolicy policy;

	private final LimitPlans localPlans;

	private final Mono<AsyncProxyManager<String>> proxyManager;

	private final HeldTokens held;

	private final Duration maxWait;

	private final int maxWaiters;

	private final Map<String, AtomicInteger> waiters = new ConcurrentHashMap<>();

	/** Per scope, whether its last admission here left it near its limit: bounded by the configured scopes. */
	private final Map<String, Boolean> lastNearLimit = new ConcurrentHashMap<>();

	private volatile long skipRedisUntilNanos;

	TenantLimiter(LimitBuckets buckets, Duration timeout, Duration retryInterval, RedisDownPolicy policy,
			LimitPlans localPlans) {
		this(buckets, timeout, retryInterval, policy, localPlans, null, Duration.ZERO, 0);
	}

	/**
	 * @param held the tokens held across instances, or {@code null} when refused requests never wait
	 * @param maxWait the longest a request waits for refunds
	 * @param maxWaiters the most requests of one scope that wait on this instance
	 */
	TenantLimiter(LimitBuckets buckets, Duration timeout, Duration retryInterval, RedisDownPolicy policy,
			LimitPlans localPlans, HeldTokens held, Duration maxWait, int maxWaiters) {
		this.held = held;
		this.maxWait = maxWait;
		this.maxWaiters = maxWaiters;
		this.buckets = buckets;
		this.timeout = timeout;
		this.retryInterval = retryInterval;
		this.policy = policy;
		this.localPlans = localPlans;
		this.proxyManager = buckets.manager();
	}

	/** Takes {@code tokens} and one request from the plan's buckets, if they fit. */
	public Mono<Admission> admit(LimitPlan plan, long tokens) {
		return admit(plan, tokens, true);
	}

	/**
	 * Takes {@code tokens}, and one request when {@code countRequest}, from the plan's buckets, if they fit. A job
	 * worker's call does not count a request: its submission did.
	 */
	public Mono<Admission> admit(LimitPlan plan, long tokens, boolean countRequest) {
		BucketConfiguration requests = countRequest ? plan.requests() : null;
		return limited(plan, manager -> Mono.zip(
				consume(plan.tokens(), () -> buckets.shared(manager, plan.tokensKey(), plan.tokens()), tokens),
				consume(requests, () -> buckets.shared(manager, plan.requestsKey(), plan.requests()), 1))
			.map(probes -> verdict(plan, tokens, probes.getT1(), probes.getT2(), Where.SHARED)),
				() -> withoutRedis(plan, tokens, countRequest));
	}

	/**
	 * Like {@link #admit(LimitPlan, long, boolean)}, but a request refused on tokens per minute waits for the refunds
	 * of the scope's requests in flight: its admission is tried again after 10, 20, 40, 80, then every 100 ms, while
	 * what they hold could make room for it, until it fits or {@code maxWait} has passed. (A tenant that has spent its
	 * minute is thus refused after two more tries, 10 and 20 ms later.) Waiters beyond {@code maxWaiters} are refused at once.
	 * {@code tokens} is asked again at every try: a reservation learned meanwhile applies.
	 */
	public Mono<Admission> admitOrWait(LimitPlan plan, LongSupplier tokens, boolean countRequest) {
		if (held == null || maxWait.isZero() || maxWaiters == 0 || plan.tokensPerMinuteBandwidth() < 0) {
			return Mono.defer(() -> admit(plan, tokens.getAsLong(), countRequest));
		}
		AtomicLong counted = new AtomicLong();
		return admitCounted(plan, tokens, countRequest, counted).flatMap(admission -> {
			if (!mayWait(admission)) {
				return Mono.just(admission);
			}
			AtomicInteger waiting = waiters.computeIfAbsent(plan.scope(), scope -> new AtomicInteger());
			if (waiting.incrementAndGet() > maxWaiters) {
				waiting.decrementAndGet();
				return Mono.just(admission);
			}
			long deadline = System.nanoTime() + maxWait.toNanos();
			return waitForRefunds(plan, tokens, countRequest, counted, admission, deadline, 10)
				.doFinally(signal -> waiting.decrementAndGet());
		}).doOnCancel(() -> uncount(plan, counted));
	}

	/**
	 * An admission, counted among the scope's held tokens when it is near the limit. Counted before it is tried when
	 * the scope's last admission here was near the limit (or none was seen), so a request refused right after this
	 * one was admitted sees it (the count and the buckets are on different connections, but the count is sent first);
	 * otherwise counted after it, if it turned out near. Uncounted at once when refused: waiters do not hold tokens
	 * for each other. Far from the limit nothing is counted: no Redis command.
	 */
	private Mono<Admission> admitCounted(LimitPlan plan, LongSupplier tokens, boolean countRequest, AtomicLong counted) {
		return admitCounted(plan, tokens, countRequest, counted, true);
	}

	/** @param countFirst whether it may be counted before it is tried (not a waiter's retry: see below) */
	private Mono<Admission> admitCounted(LimitPlan plan, LongSupplier tokens, boolean countRequest, AtomicLong counted,
			boolean countFirst) {
		return Mono.defer(() -> {
			long asked = tokens.getAsLong();
			uncount(plan, counted);
			if (countFirst && lastNearLimit.getOrDefault(plan.scope(), Boolean.TRUE)) {
				counted.set(asked);
				held.add(plan.heldKey(), asked);
			}
			return admit(plan, asked, countRequest);
		}).map(admission -> {
			if (admission.where() != Where.SHARED) {
				uncount(plan, counted);
				return admission;
			}
			lastNearLimit.put(plan.scope(), !admission.admitted() || admission.nearLimit());
			if (!admission.admitted()) {
				uncount(plan, counted);
				return admission;
			}
			if (counted.get() == 0 && admission.nearLimit()) {
				counted.set(admission.reservedTokens());
				held.add(plan.heldKey(), admission.reservedTokens());
			}
			return admission.withHeldTokens(counted.get());
		});
	}

	private void uncount(LimitPlan plan, AtomicLong counted) {
		long tokens = counted.getAndSet(0);
		if (tokens != 0) {
			held.add(plan.heldKey(), -tokens);
		}
	}

	/** A refusal on tokens per minute from the shared buckets, for a request no larger than the limit itself. */
	private static boolean mayWait(Admission admission) {
		Long perMinute = admission.plan().values().tokensPerMinute();
		return admission.verdict() == Verdict.TOKENS_PER_MINUTE && admission.where() == Where.SHARED
				&& perMinute != null && admission.requestedTokens() <= perMinute;
	}

	/**
	 * Tries the admission again after each pause while the scope's requests in flight hold enough to make room. When
	 * they no longer seem to, one more pause and try: a waiter admitted a moment ago is counted only once its
	 * admission returned, and a hold is lowered only once its refund is in the bucket, so a hold seen gone means its
	 * refund is there to be found. Refused when the holds still cannot make room after that.
	 */
	private Mono<Admission> waitForRefunds(LimitPlan plan, LongSupplier tokens, boolean countRequest, AtomicLong counted,
			Admission refused, long deadlineNanos, long pauseMillis) {
		return waitForRefunds(plan, tokens, countRequest, counted, refused, deadlineNanos, pauseMillis, false);
	}

	private Mono<Admission> waitForRefunds(LimitPlan plan, LongSupplier tokens, boolean countRequest, AtomicLong counted,
			Admission refused, long deadlineNanos, long pauseMillis, boolean lastTry) {
		if (System.nanoTime() + pauseMillis * 1_000_000 > deadlineNanos) {
			return Mono.just(refused);
		}
		// A waiter's retry is counted only once admitted: counted before, it would make the other waiters wait for it.
		return Mono.delay(Duration.ofMillis(pauseMillis))
			.then(admitCounted(plan, tokens, countRequest, counted, false))
			.flatMap(next -> {
				if (next.admitted() || !mayWait(next)) {
					return Mono.just(next);
				}
				long missing = next.requestedTokens() - Math.max(0, next.tokensRemaining());
				long pause = Math.min(100, pauseMillis * 2);
				return held.read(plan.heldKey()).flatMap(holding -> {
					if (holding >= missing) {
						return waitForRefunds(plan, tokens, countRequest, counted, next, deadlineNanos, pause, false);
					}
					return lastTry ? Mono.just(next)
							: waitForRefunds(plan, tokens, countRequest, counted, next, deadlineNanos, pause, true);
				});
			});
	}

	/** Whether admissions are applying the Redis-down policy without trying Redis (after a recent failure). */
	boolean skippingRedis() {
		return System.nanoTime() < skipRedisUntilNanos;
	}

	/** Redis failed a limits command: admissions apply the policy for the retry interval. */
	void redisFailed(Throwable failure) {
		skipRedisUntilNanos = System.nanoTime() + retryInterval.toNanos();
		log.warn("Tenant limits could not reach Redis ({}); applying policy {} for {} ms", failure.toString(), policy,
				retryInterval.toMillis());
	}

	/** Gives back what an admission took (its tokens, and its request when it counted one): the request did not go. */
	void undo(Admission admission) {
		charge(admission, -admission.reservedTokens());
		if (admission.requestsRemaining() >= 0 && admission.where() != Where.NONE) {
			giveBack(admission.plan(), admission.where(), admission.plan().requestsKey(), 1);
		}
		released(admission);
	}

	/** A request admitted by {@link #admitOrWait} no longer holds its reservation. */
	void released(Admission admission) {
		if (held != null && admission.heldTokens() > 0) {
			held.add(admission.plan().heldKey(), -admission.heldTokens());
		}
	}

	/**
	 * Admits a job submission: takes one request from the plan's request bucket, and refuses it when the daily token
	 * quota is spent. It takes no tokens: those are charged once, when the job's call runs.
	 */
	public Mono<Admission> admitSubmission(LimitPlan plan) {
		return limited(plan, manager -> Mono.zip(
				consume(plan.requests(), () -> buckets.shared(manager, plan.requestsKey(), plan.requests()), 1),
				dailyTokensLeft(plan, () -> buckets.shared(manager, plan.tokensKey(), plan.tokens()).asVerbose().getAvailableTokens()))
			.map(probes -> submissionVerdict(plan, probes.getT1(), probes.getT2(), Where.SHARED)),
				() -> submissionWithoutRedis(plan));
	}

	private Mono<Admission> limited(LimitPlan plan, Function<AsyncProxyManager<String>, Mono<Admission>> shared,
			Supplier<Admission> withoutRedis) {
		if (plan.unlimited()) {
			return Mono.just(Admission.notEnforced(plan, Verdict.ADMITTED));
		}
		if (System.nanoTime() < skipRedisUntilNanos) {
			return Mono.fromSupplier(withoutRedis);
		}
		return proxyManager.flatMap(shared)
			.transform(Deadlines.within(timeout))
			.onErrorResume(failure -> {
				redisFailed(failure);
				return Mono.fromSupplier(withoutRedis);
			});
	}

	private static Mono<Long> dailyTokensLeft(LimitPlan plan,
			Supplier<CompletableFuture<VerboseResult<Long>>> available) {
		int daily = plan.tokensPerDayBandwidth();
		if (plan.tokens() == null || daily < 0) {
			return Mono.just(Long.MAX_VALUE);
		}
		return Mono.fromFuture(available).map(result -> result.getDiagnostics().getAvailableTokensPerEachBandwidth()[daily]);
	}

	private Admission submissionVerdict(LimitPlan plan, Optional<VerboseResult<ConsumptionProbe>> requestProbe,
			long dailyTokensLeft, Where where) {
		boolean requestFits = requestProbe.map(p -> p.getValue().isConsumed()).orElse(true);
		Verdict verdict = Verdict.ADMITTED;
		long retryAfter = 0;
		if (dailyTokensLeft <= 0) {
			verdict = Verdict.TOKENS_PER_DAY;
			requestProbe.filter(p -> p.getValue().isConsumed()).ifPresent(p -> giveBack(plan, where, plan.requestsKey(), 1));
		}
		else if (!requestFits) {
			verdict = Verdict.REQUESTS_PER_MINUTE;
			retryAfter = requestProbe.get().getValue().getNanosToWaitForRefill();
		}
		long requestsRemaining = -1;
		long requestsReset = -1;
		if (requestProbe.isPresent()) {
			requestsRemaining = Math.max(0, requestProbe.get().getValue().getRemainingTokens());
			requestsReset = untilFull(plan.requests().getBandwidths()[0], requestsRemaining);
		}
		return new Admission(plan, verdict, 0, 0, where, retryAfter, -1, -1, requestsRemaining, requestsReset);
	}

	private Admission submissionWithoutRedis(LimitPlan plan) {
		return switch (policy) {
			case FAIL_OPEN -> Admission.notEnforced(plan, Verdict.ADMITTED);
			case FAIL_CLOSED -> Admission.notEnforced(plan, Verdict.LIMITS_UNAVAILABLE);
			case LOCAL -> {
				LimitPlan share = localPlans.plan(plan.tenant(), modelOf(plan));
				Optional<VerboseResult<ConsumptionProbe>> requestProbe = share.requests() == null ? Optional.empty()
						: Optional.of(buckets.local(plan.requestsKey(), share.requests()).asVerbose().tryConsumeAndReturnRemaining(1));
				int daily = share.tokensPerDayBandwidth();
				long dailyLeft = share.tokens() == null || daily < 0 ? Long.MAX_VALUE
						: buckets.local(plan.tokensKey(), share.tokens()).asVerbose()
							.getAvailableTokens()
							.getDiagnostics()
							.getAvailableTokensPerEachBandwidth()[daily];
				yield submissionVerdict(share, requestProbe, dailyLeft, Where.LOCAL);
			}
		};
	}

	/**
	 * Charges {@code difference} more tokens to the admission's token bucket (a refund when negative); the future
	 * completes when the bucket has it, or when that failed (logged; the charge is lost, as a refund lost to a
	 * timeout). It never completes exceptionally.
	 */
	public CompletableFuture<Void> charge(Admission admission, long difference) {
		LimitPlan plan = admission.plan();
		if (difference == 0 || plan.tokens() == null || admission.where() == Where.NONE) {
			return CompletableFuture.completedFuture(null);
		}
		if (admission.where() == Where.LOCAL) {
			Bucket bucket = buckets.local(plan.tokensKey(), localPlans.plan(plan.tenant(), modelOf(plan)).tokens());
			if (difference < 0) {
				bucket.addTokens(-difference);
			}
			else {
				bucket.consumeIgnoringRateLimits(difference);
			}
			return CompletableFuture.completedFuture(null);
		}
		return proxyManager.flatMap(manager -> {
			AsyncBucketProxy bucket = buckets.shared(manager, plan.tokensKey(), plan.tokens());
			return Mono.fromFuture(() -> difference < 0 ? bucket.addTokens(-difference)
					: bucket.consumeIgnoringRateLimits(difference).thenApply(ignored -> null));
		})
			.transform(Deadlines.within(timeout))
			.doOnError(failure -> log.debug("Could not settle {} tokens for {}: {}", difference, plan.scope(),
					failure.toString()))
			.onErrorResume(failure -> Mono.empty())
			.then()
			.toFuture();
	}

	/** Tokens left in the plan's token bucket (the tightest bandwidth), or empty when tokens are not limited. */
	public Mono<Long> availableTokens(LimitPlan plan) {
		if (plan.tokens() == null) {
			return Mono.empty();
		}
		return proxyManager
			.flatMap(manager -> Mono.fromFuture(() -> buckets.shared(manager, plan.tokensKey(), plan.tokens()).getAvailableTokens()))
			.transform(Deadlines.within(timeout));
	}

	/** Requests left in the plan's request bucket, or empty when requests are not limited. */
	public Mono<Long> availableRequests(LimitPlan plan) {
		if (plan.requests() == null) {
			return Mono.empty();
		}
		return proxyManager
			.flatMap(manager -> Mono.fromFuture(() -> buckets.shared(manager, plan.requestsKey(), plan.requests()).getAvailableTokens()))
			.transform(Deadlines.within(timeout));
	}

	private Admission withoutRedis(LimitPlan plan, long tokens, boolean countRequest) {
		return switch (policy) {
			case FAIL_OPEN -> Admission.notEnforced(plan, Verdict.ADMITTED);
			case FAIL_CLOSED -> Admission.notEnforced(plan, Verdict.LIMITS_UNAVAILABLE);
			case LOCAL -> {
				LimitPlan share = localPlans.plan(plan.tenant(), modelOf(plan));
				Optional<VerboseResult<ConsumptionProbe>> tokenProbe = share.tokens() == null ? Optional.empty()
						: Optional.of(buckets.local(plan.tokensKey(), share.tokens()).asVerbose().tryConsumeAndReturnRemaining(tokens));
				Optional<VerboseResult<ConsumptionProbe>> requestProbe = share.requests() == null || !countRequest
						? Optional.empty()
						: Optional.of(buckets.local(plan.requestsKey(), share.requests()).asVerbose().tryConsumeAndReturnRemaining(1));
				yield verdict(share, tokens, tokenProbe, requestProbe, Where.LOCAL);
			}
		};
	}

	private Admission verdict(LimitPlan plan, long tokens, Optional<VerboseResult<ConsumptionProbe>> tokenProbe,
			Optional<VerboseResult<ConsumptionProbe>> requestProbe, Where where) {
		boolean tokensFit = tokenProbe.map(p -> p.getValue().isConsumed()).orElse(true);
		boolean requestFits = requestProbe.map(p -> p.getValue().isConsumed()).orElse(true);
		Verdict verdict = Verdict.ADMITTED;
		long retryAfter = 0;
		if (!tokensFit) {
			long[] available = tokenProbe.get().getDiagnostics().getAvailableTokensPerEachBandwidth();
			int daily = plan.tokensPerDayBandwidth();
			verdict = daily >= 0 && available[daily] < tokens ? Verdict.TOKENS_PER_DAY : Verdict.TOKENS_PER_MINUTE;
			retryAfter = tokenProbe.get().getValue().getNanosToWaitForRefill();
			requestProbe.filter(p -> p.getValue().isConsumed()).ifPresent(p -> giveBack(plan, where, plan.requestsKey(), 1));
		}
		else if (!requestFits) {
			verdict = Verdict.REQUESTS_PER_MINUTE;
			retryAfter = requestProbe.get().getValue().getNanosToWaitForRefill();
			tokenProbe.ifPresent(p -> giveBack(plan, where, plan.tokensKey(), tokens));
		}
		long tokensRemaining = -1;
		long tokensReset = -1;
		int perMinute = plan.tokensPerMinuteBandwidth();
		if (tokenProbe.isPresent() && perMinute >= 0) {
			tokensRemaining = Math.max(0, tokenProbe.get().getDiagnostics().getAvailableTokensPerEachBandwidth()[perMinute]);
			tokensReset = untilFull(plan.tokens().getBandwidths()[perMinute], tokensRemaining);
		}
		long requestsRemaining = -1;
		long requestsReset = -1;
		if (requestProbe.isPresent()) {
			requestsRemaining = Math.max(0, requestProbe.get().getValue().getRemainingTokens());
			requestsReset = untilFull(plan.requests().getBandwidths()[0], requestsRemaining);
		}
		return new Admission(plan, verdict, tokens, verdict == Verdict.ADMITTED && tokenProbe.isPresent() ? tokens : 0, where,
				retryAfter, tokensRemaining, tokensReset, requestsRemaining, requestsReset);
	}

	private void giveBack(LimitPlan plan, Where where, String key, long amount) {
		if (where == Where.LOCAL) {
			Bucket bucket = buckets.existingLocal(key);
			if (bucket != null) {
				bucket.addTokens(amount);
			}
			return;
		}
		BucketConfiguration configuration = key.equals(plan.tokensKey()) ? plan.tokens() : plan.requests();
		proxyManager.flatMap(manager -> Mono.fromFuture(() -> buckets.shared(manager, key, configuration).addTokens(amount)))
			.transform(Deadlines.within(timeout))
			.subscribe(done -> {
			}, failure -> log.debug("Could not give back {} to {}: {}", amount, key, failure.toString()));
	}

	private static long untilFull(Bandwidth bandwidth, long remaining) {
		long missing = bandwidth.getCapacity() - remaining;
		if (missing <= 0) {
			return 0;
		}
		return missing * (bandwidth.getRefillPeriodNanos() / bandwidth.getRefillTokens());
	}

	private static Mono<Optional<VerboseResult<ConsumptionProbe>>> consume(BucketConfiguration configuration,
			Supplier<AsyncBucketProxy> bucket, long amount) {
		if (configuration == null) {
			return Mono.just(Optional.empty());
		}
		return Mono.fromFuture(() -> bucket.get().asVerbose().tryConsumeAndReturnRemaining(amount)).map(Optional::of);
	}

	private static String modelOf(LimitPlan plan) {
		int slash = plan.scope().indexOf('/');
		return slash < 0 ? null : plan.scope().substring(slash + 1);
	}

}
