package dev.spillway.gateway.core;

import java.util.List;

/**
 * A tenant as the runtime knows it.
 *
 * @param id its id
 * @param tier its tier: the configured one, else {@value Tenants#DEFAULT_TIER}
 * @param keys its API keys as configured (plain or {@code sha256:<hex>})
 */
public record TenantDefinition(String id, String tier, List<String> keys) {

	@Override
	public String toString() {
		// Never the keys.
		return "Tenant[" + id + ", tier " + tier + "]";
	}

}
