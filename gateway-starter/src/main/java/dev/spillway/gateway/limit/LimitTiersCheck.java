package dev.spillway.gateway.limit;

import dev.spillway.gateway.core.SpillwayProperties;

/** Every tenant that names a tier must name one of the configured tiers; start-up fails otherwise. */
final class LimitTiersCheck {

	private LimitTiersCheck() {
	}

	static void check(SpillwayProperties properties, LimitProperties limits) {
		properties.getTenants().forEach((id, tenant) -> {
			if (tenant.getTier() != null && !limits.getTiers().containsKey(tenant.getTier())) {
				throw new IllegalStateException("every spillway.tenants.*.tier must name a tier under "
						+ "spillway.limits.tiers: tenant '" + id + "' names '" + tenant.getTier() + "'");
			}
		});
	}

}
