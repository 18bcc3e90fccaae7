package dev.spillway.gateway.limit;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;

import dev.spillway.gateway.core.Tenants;

/**
 * Works out which limits apply to a tenant and model: the tenant's tier (or the tier named {@code default}),
 * then the tier's override for the model, the tenant's own overrides, and the tenant's override for the model.
 * A model with an override of its own gets buckets of its own; otherwise every model of the tenant shares them.
 * Plans are cached; their number is bounded by the configuration. Tier resolution is the core's
 * ({@link Tenants#tierOf}).
 */
class LimitPlans {

	private final Map<String, Limits> tiers = new HashMap<>();

	private final Map<String, Map<String, Limits>> tierModels = new HashMap<>();

	private final Map<String, Limits> tenantLimits = new HashMap<>();

	private final Map<String, Map<String, Limits>> tenantModels = new HashMap<>();

	private final Tenants tenants;

	private final String keyPrefix;

	private final int shareDivisor;

	private final Map<String, LimitPlan> plans = new ConcurrentHashMap<>();

	/**
	 * @param shareDivisor 1 for the shared (Redis) buckets; the number of instances for the local share of each
	 */
	LimitPlans(LimitProperties limits, TenantLimitsProperties overrides, Tenants tenants, String keyPrefix,
			int shareDivisor) {
		limits.getTiers().forEach((name, tier) -> {
			tiers.put(name, Limits.of(tier));
			tierModels.put(name, models(tier.getModels()));
		});
		overrides.getTenants().forEach((id, tenant) -> {
			tenantLimits.put(id, Limits.of(tenant.getLimits()));
			tenantModels.put(id, models(tenant.getModels()));
		});
		this.tenants = tenants;
		this.keyPrefix = keyPrefix;
		this.shareDivisor = shareDivisor;
	}

	private static Map<String, Limits> models(Map<String, LimitProperties.LimitValues> models) {
		Map<String, Limits> byModel = new HashMap<>();
		models.forEach((model, values) -> byModel.put(model, Limits.of(values)));
		return Map.copyOf(byModel);
	}

	LimitPlan plan(String tenant, String model) {
		String tier = tenants.tierOf(tenant);
		Map<String, Limits> byTierModel = tierModels.getOrDefault(tier, Map.of());
		Map<String, Limits> byTenantModel = tenantModels.getOrDefault(tenant, Map.of());
		boolean modelScoped = model != null && (byTierModel.containsKey(model) || byTenantModel.containsKey(model));
		String scope = modelScoped ? tenant + "/" + model : tenant;
		return plans.computeIfAbsent(scope, s -> build(tenant, tier, s, modelScoped ? model : null));
	}

	/** The models some tier or tenant has limits of their own for. */
	Set<String> limitedModels() {
		Set<String> models = new HashSet<>();
		tierModels.values().forEach(byModel -> models.addAll(byModel.keySet()));
		tenantModels.values().forEach(byModel -> models.addAll(byModel.keySet()));
		return models;
	}

	private LimitPlan build(String tenant, String tier, String scope, String model) {
		Limits limits = Limits.NONE;
		Limits ofTier = tiers.get(tier);
		if (ofTier != null) {
			limits = ofTier.over(limits);
			Limits ofTierModel = model == null ? null : tierModels.get(tier).get(model);
			if (ofTierModel != null) {
				limits = ofTierModel.over(limits);
			}
		}
		Limits ofTenant = tenantLimits.get(tenant);
		if (ofTenant != null) {
			limits = ofTenant.over(limits);
			Limits ofTenantModel = model == null ? null : tenantModels.get(tenant).get(model);
			if (ofTenantModel != null) {
				limits = ofTenantModel.over(limits);
			}
		}
		String hashTag = "{" + scope + "}";
		return new LimitPlan(tenant, scope, limits, tokensConfiguration(limits), requestsConfiguration(limits),
				keyPrefix + ":limit:" + hashTag + ":tokens", keyPrefix + ":limit:" + hashTag + ":requests");
	}

	private BucketConfiguration tokensConfiguration(Limits values) {
		if (values.tokensPerMinute() == null && values.tokensPerDay() == null) {
			return null;
		}
		ConfigurationBuilder builder = BucketConfiguration.builder();
		if (values.tokensPerMinute() != null) {
			long perMinute = share(values.tokensPerMinute());
			builder.addLimit(Bandwidth.builder()
				.capacity(perMinute)
				.refillGreedy(perMinute, Duration.ofMinutes(1))
				.id("tokens-per-minute")
				.build());
		}
		if (values.tokensPerDay() != null) {
			long perDay = share(values.tokensPerDay());
			builder.addLimit(Bandwidth.builder()
				.capacity(perDay)
				.refillIntervallyAligned(perDay, Duration.ofDays(1),
						LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant())
				.id("tokens-per-day")
				.build());
		}
		return builder.build();
	}

	private BucketConfiguration requestsConfiguration(Limits values) {
		if (values.requestsPerMinute() == null) {
			return null;
		}
		long perMinute = share(values.requestsPerMinute());
		return BucketConfiguration.builder()
			.addLimit(Bandwidth.builder()
				.capacity(perMinute)
				.refillGreedy(perMinute, Duration.ofMinutes(1))
				.id("requests-per-minute")
				.build())
			.build();
	}

	private long share(long limit) {
		return Math.max(1, limit / shareDivisor);
	}

}
