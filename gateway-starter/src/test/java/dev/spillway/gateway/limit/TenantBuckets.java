package dev.spillway.gateway.limit;

import java.time.Duration;

import org.springframework.context.ApplicationContext;

/** For tests outside the limits: what is left in a tenant's buckets of a running gateway. */
public final class TenantBuckets {

	private TenantBuckets() {
	}

	/** Tokens left in the tenant's (and model's) token bucket, read from Redis. */
	public static long availableTokens(ApplicationContext gateway, String tenant, String model) {
		LimitPlan plan = gateway.getBean(LimitPlans.class).plan(tenant, model);
		return gateway.getBean(TenantLimiter.class).availableTokens(plan).block(Duration.ofSeconds(5));
	}

}
