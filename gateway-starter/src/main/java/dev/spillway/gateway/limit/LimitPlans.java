package dev.spillway.gateway.limit;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;

import dev.spillway.gateway.config.SpillwayProperties;
import dev.spillway.gateway.config.SpillwayProperties.LimitValues;

/**
 * Works out which limits apply to a tenant and model: the tenant's tier (or the tier named {@code default}),
 * then the tier's override for the model, the tenant's own overrides, and the tenant's override for the model.
 * A model with an override of its own gets buckets of its own; otherwise every model of the tenant shares them.
 * Plans are cached; their number is bounded by the configuration.
 */
public class LimitPlans {

	public static final String DEFAULT_TIER = "default";

	private final SpillwayProperties.Limits limits;

	private final Map<String, SpillwayProperties.Tenant> tenants;

	private final String keyPrefix;

	private final int shareDivisor;

	private final Map<String, LimitPlan> plans = new ConcurrentHashMap<>();

	/**
	 * @param shareDivisor 1 for the shared (Redis) buckets; the number of instances for the local share of each
	 */
	public LimitPlans(SpillwayProperties properties, String keyPrefix, int shareDivisor) {
		this.limits = properties.getLimits();
		this.tenants = properties.getTenants();
		this.keyPrefix = keyPrefix;
		this.shareDivisor = shareDivisor;
	}

	public LimitPlan plan(String tenant, String model) {
		SpillwayProperties.Tenant config = tenants.get(tenant);
		SpillwayProperties.Tier tier = tier(config);
		boolean modelScoped = model != null && (tier != null && tier.getModels().containsKey(model)
				|| config != null && config.getModels().containsKey(model));
		String scope = modelScoped ? tenant + "/" + model : tenant;
		return plans.computeIfAbsent(scope, s -> build(tenant, s, config, tier, modelScoped ? model : null));
	}

	private SpillwayProperties.Tier tier(SpillwayProperties.Tenant tenant) {
		String name = tenant != null && tenant.getTier() != null ? tenant.getTier() : DEFAULT_TIER;
		return limits.getTiers().get(name);
	}

	private LimitPlan build(String tenant, String scope, SpillwayProperties.Tenant config, SpillwayProperties.Tier tier,
			String model) {
		LimitValues values = new LimitValues();
		if (tier != null) {
			values = tier.over(values);
			if (model != null && tier.getModels().containsKey(model)) {
				values = tier.getModels().get(model).over(values);
			}
		}
		if (config != null) {
			values = config.getLimits().over(values);
			if (model != null && config.getModels().containsKey(model)) {
				values = config.getModels().get(model).over(values);
			}
		}
		String hashTag = "{" + scope + "}";
		return new LimitPlan(tenant, scope, values, tokensConfiguration(values), requestsConfiguration(values),
				keyPrefix + ":limit:" + hashTag + ":tokens", keyPrefix + ":limit:" + hashTag + ":requests");
	}

	private BucketConfiguration tokensConfiguration(LimitValues values) {
		if (values.getTokensPerMinute() == null && values.getTokensPerDay() == null) {
			return null;
		}
		ConfigurationBuilder builder = BucketConfiguration.builder();
		if (values.getTokensPerMinute() != null) {
			long perMinute = share(values.getTokensPerMinute());
			builder.addLimit(Bandwidth.builder()
				.capacity(perMinute)
				.refillGreedy(perMinute, Duration.ofMinutes(1))
				.id("tokens-per-minute")
				.build());
		}
		if (values.getTokensPerDay() != null) {
			long perDay = share(values.getTokensPerDay());
			builder.addLimit(Bandwidth.builder()
				.capacity(perDay)
				.refillIntervallyAligned(perDay, Duration.ofDays(1),
						LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant())
				.id("tokens-per-day")
				.build());
		}
		return builder.build();
	}

	private BucketConfiguration requestsConfiguration(LimitValues values) {
		if (values.getRequestsPerMinute() == null) {
			return null;
		}
		long perMinute = share(values.getRequestsPerMinute());
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
