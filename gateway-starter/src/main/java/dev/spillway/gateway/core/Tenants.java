package dev.spillway.gateway.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The configured tenants, and the one place a tenant's tier is decided. Immutable. */
public final class Tenants {

	/** The tier of a tenant that names none. */
	public static final String DEFAULT_TIER = "default";

	private final Map<String, TenantDefinition> tenants;

	public Tenants(Map<String, SpillwayProperties.Tenant> tenants) {
		Map<String, TenantDefinition> definitions = new LinkedHashMap<>();
		tenants.forEach((id, tenant) -> definitions.put(id, new TenantDefinition(id,
				tenant.getTier() != null ? tenant.getTier() : DEFAULT_TIER, List.copyOf(tenant.getKeys()))));
		this.tenants = Collections.unmodifiableMap(definitions);
	}

	/** A tenant by id, or {@code null}. */
	public TenantDefinition tenant(String id) {
		return id == null ? null : tenants.get(id);
	}

	/** The tier of a tenant, {@value #DEFAULT_TIER} for an unknown one. */
	public String tierOf(String id) {
		TenantDefinition tenant = tenant(id);
		return tenant == null ? DEFAULT_TIER : tenant.tier();
	}

	/** Every tenant, by id, in configuration order. */
	public Map<String, TenantDefinition> all() {
		return tenants;
	}

}
