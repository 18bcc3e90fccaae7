package dev.spillway.gateway.limit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.core.Deadlines;
import dev.spillway.gateway.limit.LimitProperties.RedisDownPolicy;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * What tenants spent against their daily and monthly budgets, in millionths of the pricing currency: one counter per
 * tenant and period in Redis ({@code <prefix>:budget:{<tenant>}:day:<date>}, {@code :month:<yyyy-MM>}, in the
 * tenant's hash slot; a new period is a new key, so budgets renew at the boundary of the injected clock in the
 * configured zone, and old keys expire a day after their period). Admission reserves the request's estimated cost
 * on every budget of the tenant at once, or refuses it when the estimate does not fit what is left (one script);
 * settlement charges the difference to the real cost on the same keys. Both are sent beside the buckets' commands,
 * not after them.
 * <p>
 * Redis away (a timeout, or the limits already applying their policy): {@code fail-open} does not count,
 * {@code fail-closed} refuses, {@code local} counts this instance's share ({@code 1/local-instances}) of every budget
 * in memory (the current periods of the configured tenants; past periods are dropped).
 */
final class BudgetLedger {

	private static final Logger log = LoggerFactory.getLogger(BudgetLedger.class);

	/** KEYS: the budgets' counters; ARGV: the estimate, each budget, each key's expiry in ms. */
	@SuppressWarnings("rawtypes")
	private static final RedisScript<List> RESERVE = RedisScript.of("""
			local estimate = tonumber(ARGV[1])
			local spent = {0}
			for i = 1, #KEYS do
			  spent[i + 1] = tonumber(redis.call('get', KEYS[i]) or '0')
			  if spent[i + 1] + estimate > tonumber(ARGV[1 + i]) then
			    spent[1] = i
			  end
			end
			if spent[1] == 0 then
			  for i = 1, #KEYS do
			    redis.call('incrby', KEYS[i], estimate)
			    redis.call('pexpire', KEYS[i], ARGV[1 + #KEYS + i])
			  end
			end
			return spent""", List.class);

	/** KEYS: counters; ARGV: the amount, each key's expiry in ms. */
	private static final RedisScript<Long> ADD = RedisScript.of("""
			for i = 1, #KEYS do
			  redis.call('incrby', KEYS[i], ARGV[1])
			  redis.call('pexpire', KEYS[i], ARGV[1 + i])
			end
			return 0""", Long.class);

	private final ReactiveStringRedisTemplate redis;

	private final String prefix;

	private final Duration timeout;

	private final Clock clock;

	private final ZoneId zone;

	private final RedisDownPolicy policy;

	private final int localInstances;

	private final TenantLimiter limiter;

	private final Map<String, AtomicLong> local = new ConcurrentHashMap<>();

	BudgetLedger(ReactiveStringRedisTemplate redis, String keyPrefix, Duration timeout, Clock clock, ZoneId zone,
			RedisDownPolicy policy, int localInstances, TenantLimiter limiter) {
		this.redis = redis;
		this.prefix = keyPrefix + ":budget:";
		this.timeout = timeout;
		this.clock = clock;
		this.zone = zone;
		this.policy = policy;
		this.localInstances = localInstances;
		this.limiter = limiter;
	}

	/** The tenant's budgets in the periods that hold now. */
	List<Period> periods(LimitPlan plan) {
		Limits limits = plan.values();
		ZonedDateTime now = clock.instant().atZone(zone);
		LocalDate today = now.toLocalDate();
		List<Period> periods = new ArrayList<>(2);
		String tag = "{" + plan.tenant() + "}";
		if (limits.dailyBudgetMicros() != null) {
			periods.add(new Period("daily", prefix + tag + ":day:" + today, limits.dailyBudgetMicros(),
					today.plusDays(1).atStartOfDay(zone).toInstant()));
		}
		if (limits.monthlyBudgetMicros() != null) {
			LocalDate first = today.withDayOfMonth(1);
			periods.add(new Period("monthly", prefix + tag + ":month:" + first.toString().substring(0, 7),
					limits.monthlyBudgetMicros(), first.plusMonths(1).atStartOfDay(zone).toInstant()));
		}
		return periods;
	}

	/**
	 * One budget in its current period.
	 *
	 * @param name {@code daily} or {@code monthly}
	 * @param key its counter
	 * @param budgetMicros the budget
	 * @param renews when the next period begins
	 */
	record Period(String name, String key, long budgetMicros, Instant renews) {

		long expiryMillis(Instant now) {
			return Math.max(1, Duration.between(now, renews).plusDays(1).toMillis());
		}

	}

	/** Reserves {@code estimateMicros} on every budget of the plan's tenant, or says which one it does not fit. */
	Mono<BudgetAdmission> reserve(LimitPlan plan, long estimateMicros) {
		List<Period> periods = periods(plan);
		if (periods.isEmpty()) {
			return Mono.just(BudgetAdmission.none(plan.tenant()));
		}
		if (limiter.skippingRedis()) {
			return Mono.fromSupplier(() -> withoutRedis(plan, periods, estimateMicros));
		}
		Instant now = clock.instant();
		List<String> keys = periods.stream().map(Period::key).toList();
		List<String> args = new ArrayList<>();
		args.add(Long.toString(estimateMicros));
		periods.forEach(period -> args.add(Long.toString(period.budgetMicros())));
		periods.forEach(period -> args.add(Long.toString(period.expiryMillis(now))));
		return redis.execute(RESERVE, keys, args)
			.next()
			.transform(Deadlines.within(timeout))
			.map(reply -> {
				int refused = ((Number) reply.get(0)).intValue();
				long[] spent = new long[periods.size()];
				for (int i = 0; i < spent.length; i++) {
					spent[i] = ((Number) reply.get(i + 1)).longValue();
				}
				return new BudgetAdmission(plan.tenant(), refused == 0 ? BudgetAdmission.Outcome.ADMITTED
						: BudgetAdmission.Outcome.EXCEEDED, periods, spent, refused - 1,
						refused == 0 ? estimateMicros : 0, true);
			})
			.onErrorResume(failure -> {
				limiter.redisFailed(failure);
				return Mono.fromSupplier(() -> withoutRedis(plan, periods, estimateMicros));
			});
	}

	private BudgetAdmission withoutRedis(LimitPlan plan, List<Period> periods, long estimateMicros) {
		return switch (policy) {
			case FAIL_OPEN -> new BudgetAdmission(plan.tenant(), BudgetAdmission.Outcome.NOT_ENFORCED, periods,
					new long[periods.size()], -1, 0, false);
			case FAIL_CLOSED -> new BudgetAdmission(plan.tenant(), BudgetAdmission.Outcome.UNAVAILABLE, periods,
					new long[periods.size()], -1, 0, false);
			case LOCAL -> reserveLocally(plan, periods, estimateMicros);
		};
	}

	private synchronized BudgetAdmission reserveLocally(LimitPlan plan, List<Period> periods, long estimateMicros) {
		if (local.size() > 1_024) {
			// Counters of past periods are never asked again: keep the current ones (bounded by the configured tenants).
			LocalDate today = clock.instant().atZone(zone).toLocalDate();
			String day = ":day:" + today;
			String month = ":month:" + today.toString().substring(0, 7);
			local.keySet().removeIf(key -> !key.endsWith(day) && !key.endsWith(month));
		}
		long[] spent = new long[periods.size()];
		int refused = -1;
		for (int i = 0; i < spent.length; i++) {
			Period period = periods.get(i);
			spent[i] = local.computeIfAbsent(period.key(), key -> new AtomicLong()).get();
			if (spent[i] + estimateMicros > period.budgetMicros() / localInstances) {
				refused = i;
			}
		}
		if (refused < 0) {
			periods.forEach(period -> local.get(period.key()).addAndGet(estimateMicros));
		}
		return new BudgetAdmission(plan.tenant(), refused < 0 ? BudgetAdmission.Outcome.ADMITTED
				: BudgetAdmission.Outcome.EXCEEDED, periods, spent, refused, refused < 0 ? estimateMicros : 0, false);
	}

	/**
	 * Charges {@code differenceMicros} more (a refund when negative) on the budgets {@code admission} reserved on;
	 * completes when Redis has it or failed (logged, the charge lost); never exceptionally.
	 */
	CompletableFuture<Void> charge(BudgetAdmission admission, long differenceMicros) {
		if (differenceMicros == 0 || admission.outcome() != BudgetAdmission.Outcome.ADMITTED) {
			return CompletableFuture.completedFuture(null);
		}
		if (!admission.shared()) {
			admission.periods().forEach(period -> {
				AtomicLong spent = local.get(period.key());
				if (spent != null) {
					spent.addAndGet(differenceMicros);
				}
			});
			return CompletableFuture.completedFuture(null);
		}
		Instant now = clock.instant();
		List<String> args = new ArrayList<>();
		args.add(Long.toString(differenceMicros));
		admission.periods().forEach(period -> args.add(Long.toString(period.expiryMillis(now))));
		return redis.execute(ADD, admission.periods().stream().map(Period::key).toList(), args)
			.next()
			.transform(Deadlines.within(timeout))
			.doOnError(failure -> log.debug("Could not charge {} millionths to the budgets of {}: {}", differenceMicros,
					admission.tenant(), failure.toString()))
			.onErrorResume(failure -> Mono.empty())
			.then()
			.toFuture();
	}

	/** The tenant's budgets now, what was spent of them and when they renew, for operators. */
	Mono<Map<String, Object>> view(LimitPlan plan) {
		List<Period> periods = periods(plan);
		if (periods.isEmpty()) {
			return Mono.just(Map.of());
		}
		return redis.opsForValue()
			.multiGet(periods.stream().map(Period::key).toList())
			.transform(Deadlines.within(timeout))
			.map(values -> {
				Map<String, Object> view = new LinkedHashMap<>();
				for (int i = 0; i < periods.size(); i++) {
					Period period = periods.get(i);
					long spent = values.get(i) == null ? 0 : Long.parseLong(values.get(i));
					Map<String, Object> budget = new LinkedHashMap<>();
					budget.put("budget", currency(period.budgetMicros()));
					budget.put("spent", currency(spent));
					budget.put("remaining", currency(Math.max(0, period.budgetMicros() - spent)));
					budget.put("renews", period.renews().toString());
					view.put(period.name(), budget);
				}
				return view;
			})
			.onErrorResume(failure -> Mono.just(Map.of("unknown", "shared state unreachable")));
	}

	/** Millionths as currency units, e.g. 1250000 → 1.25. */
	static java.math.BigDecimal currency(long micros) {
		return java.math.BigDecimal.valueOf(micros, 6).stripTrailingZeros();
	}

}
