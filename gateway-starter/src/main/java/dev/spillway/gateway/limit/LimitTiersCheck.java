package dev.spillway.gateway.limit;

import dev.spillway.gateway.core.SpillwayProperties;

/** Every tenant that names a tier must name one of the configured tiers; start-up fails otherwise. */
final class LimitTiersCheck {

	private LimitTiersCheck() {
	}

	static void check(SpillwayProperties properties, LimitProperties limits, TenantLimitsProperties overrides) {
		limits.getTiers().forEach((tier, values) -> values.getModels().forEach((model, forModel) -> noBudget(forModel,
				"spillway.limits.tiers." + tier + ".models." + model)));
		overrides.getTenants().forEach((tenant, values) -> values.getModels().forEach((model, forModel) -> noBudget(
				forModel, "spillway.tenants." + tenant + ".models." + model)));
		check(properties, limits);
	}

	/** Budgets are a tenant's spend across its models: a model override cannot have one. */
	private static void noBudget(LimitProperties.LimitValues values, String where) {
		if (values.getDailyBudget() != null || values.getMonthlyBudget() != null) {
			throw new IllegalStateException("spend budgets are per tenant (or tier), not per model: remove "
					+ "daily-budget and monthly-budget from " + where);
		}
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
