package dev.spillway.gateway.limit;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.validation.Valid;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Each tenant's own limit overrides, {@code spillway.tenants.<id>.limits} and {@code .models}: the limits' part of
 * a tenant's configuration (its keys and tier are the core's, see {@code SpillwayProperties}).
 */
@Validated
@ConfigurationProperties(prefix = "spillway")
public class TenantLimitsProperties {

	/** Tenants by id: only their limit overrides are read here. */
	@Valid
	private Map<String, TenantLimits> tenants = new LinkedHashMap<>();

	public Map<String, TenantLimits> getTenants() {
		return tenants;
	}

	public void setTenants(Map<String, TenantLimits> tenants) {
		this.tenants = tenants;
	}

	/** A tenant's overrides. */
	public static class TenantLimits {

		/** Overrides of the tier's limits for this tenant. */
		@Valid
		private LimitProperties.LimitValues limits = new LimitProperties.LimitValues();

		/** Overrides for this tenant and one model; such a model gets buckets of its own. */
		@Valid
		private Map<String, LimitProperties.LimitValues> models = new LinkedHashMap<>();

		public LimitProperties.LimitValues getLimits() {
			return limits;
		}

		public void setLimits(LimitProperties.LimitValues limits) {
			this.limits = limits;
		}

		public Map<String, LimitProperties.LimitValues> getModels() {
			return models;
		}

		public void setModels(Map<String, LimitProperties.LimitValues> models) {
			this.models = models;
		}

	}

}
