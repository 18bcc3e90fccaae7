package dev.spillway.gateway.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

/**
 * The core of what Spillway is told under {@code spillway.*}: the pools of backends, the tenants and the shared
 * state. Every capability binds its own settings under its own prefix (see the {@code *Properties} class in its
 * package). Validated at start-up: a wrong value stops the application with a message naming the property. The
 * runtime never reads these mutable beans: {@link Pools} and {@link Tenants} are built from them once.
 */
@Validated
@ConfigurationProperties(prefix = "spillway")
public class SpillwayProperties implements Validator {

	/** Whether Spillway is on. Off: none of its filters, load balancers or endpoints exist. */
	private boolean enabled = true;

	/** Pools of backends, by pool name. A route whose uri is {@code lb://<pool>} is served by that pool. */
	@Valid
	private Map<String, PoolProperties> pools = new LinkedHashMap<>();

	/** Callers of the gateway, by tenant id. */
	@Valid
	private Map<String, Tenant> tenants = new LinkedHashMap<>();

	/** Redis, shared by every instance: key prefix and timeouts. */
	@Valid
	private SharedState sharedState = new SharedState();

	public boolean isEnabled() {
		return enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Map<String, PoolProperties> getPools() {
		return pools;
	}

	public void setPools(Map<String, PoolProperties> pools) {
		this.pools = pools;
	}

	public Map<String, Tenant> getTenants() {
		return tenants;
	}

	public void setTenants(Map<String, Tenant> tenants) {
		this.tenants = tenants;
	}

	public SharedState getSharedState() {
		return sharedState;
	}

	/** The shared-state settings as the runtime uses them. */
	public SharedStateSettings sharedState() {
		return SharedStateSettings.of(sharedState);
	}

	public void setSharedState(SharedState sharedState) {
		this.sharedState = sharedState;
	}

	/**
	 * One key must name one tenant: a key listed under two tenants would make the caller ambiguous. Keys are compared
	 * as digests, so a key given plain once and as {@code sha256:} once counts twice too.
	 */
	@AssertTrue(message = "an API key may be listed once and belong to one tenant only, plain or as sha256: "
			+ "(spillway.tenants.*.keys)")
	public boolean isTenantKeysUnique() {
		Set<String> seen = new HashSet<>();
		for (Tenant tenant : tenants.values()) {
			for (String key : tenant.getKeys()) {
				if (key != null && !seen.add(keyDigest(key))) {
					return false;
				}
			}
		}
		return true;
	}

	private static String keyDigest(String key) {
		return key.startsWith("sha256:") ? key.substring("sha256:".length()).toLowerCase(Locale.ROOT)
				: Hashes.sha256Hex(key);
	}

	/** Tenant ids end up in Redis keys, metrics and log lines. */
	@AssertTrue(message = "tenant ids (spillway.tenants.<id>) may contain only letters, digits, '.', '_' and '-'")
	public boolean isTenantIdsValid() {
		return tenants.keySet().stream().allMatch(id -> id != null && id.matches("[A-Za-z0-9._-]+"));
	}

	@AssertTrue(message = "spillway.pools.*.encoding must be " + EncodingNames.LIST)
	public boolean isPoolEncodingsKnown() {
		return pools.values().stream().allMatch(p -> p.getEncoding() == null || EncodingNames.isKnown(p.getEncoding()));
	}

	@AssertTrue(message = "spillway.pools.*.fallback / context-fallback .pool must name configured pools")
	public boolean isFallbackPoolsKnown() {
		return pools.values().stream().allMatch(p -> (p.getFallback() == null
				|| pools.containsKey(p.getFallback().getPool()))
				&& (p.getContextFallback() == null || pools.containsKey(p.getContextFallback().getPool())));
	}

	@Override
	public boolean supports(Class<?> type) {
		return SpillwayProperties.class.isAssignableFrom(type);
	}

	/** Checks that need a message naming the pool: see {@link PoolModels}. */
	@Override
	public void validate(Object target, Errors errors) {
		PoolModels.check(((SpillwayProperties) target).getPools(), errors);
	}

	/** A caller of the gateway. */
	public static class Tenant {

		/** API keys of this tenant: plain text, or {@code sha256:<64 hex digits>} so the plain key is not stored. */
		@NotEmpty
		private List<@NotBlank @Pattern(regexp = "(?!sha256:).+|sha256:[0-9a-fA-F]{64}",
				message = "a sha256: key must be followed by 64 hex digits") String> keys = new ArrayList<>();

		/**
		 * The tenant's tier: under {@code spillway.limits.tiers} for its limits, and in routing rules. Default:
		 * {@code default}. (The tenant's own limit overrides, {@code limits} and {@code models}, are read by the limits.)
		 */
		private String tier;

		public List<String> getKeys() {
			return keys;
		}

		public void setKeys(List<String> keys) {
			this.keys = keys;
		}

		public String getTier() {
			return tier;
		}

		public void setTier(String tier) {
			this.tier = tier;
		}

	}

	/** State shared through Redis. */
	public static class SharedState {

		/** Prefix of every Redis key and channel Spillway uses; give each Spillway deployment its own. */
		@NotBlank
		@Pattern(regexp = "[A-Za-z0-9._:-]+", message = "may contain only letters, digits, '.', '_', ':' and '-'")
		private String keyPrefix = "spillway";

		/** Longest time a Redis command may take before Spillway goes on without it. */
		@NotNull
		private Duration commandTimeout = Duration.ofSeconds(2);

		/**
		 * After Redis was unreachable, how often Spillway tries to re-share its local throttles and reload the
		 * shared ones. Nothing runs at this interval while Redis is healthy.
		 */
		@NotNull
		private Duration resyncInterval = Duration.ofSeconds(5);

		public String getKeyPrefix() {
			return keyPrefix;
		}

		public void setKeyPrefix(String keyPrefix) {
			this.keyPrefix = keyPrefix;
		}

		public Duration getCommandTimeout() {
			return commandTimeout;
		}

		public void setCommandTimeout(Duration commandTimeout) {
			this.commandTimeout = commandTimeout;
		}

		public Duration getResyncInterval() {
			return resyncInterval;
		}

		public void setResyncInterval(Duration resyncInterval) {
			this.resyncInterval = resyncInterval;
		}

	}

}
