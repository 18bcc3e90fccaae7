package dev.spillway.gateway.jobs;

import dev.spillway.gateway.request.LlmExchange;
import dev.spillway.gateway.request.Slot;
import dev.spillway.gateway.request.TenantResolver;

import org.springframework.web.server.ServerWebExchange;

/**
 * A job worker's call runs as its job's tenant: recognised by {@link JobCallerFilter} (this process's job token, over
 * loopback), before any API key. Its request was counted when the job was submitted.
 */
class JobTenantResolver implements TenantResolver {

	/** The id of the job a worker's call runs. */
	static final Slot<String> JOB = Slot.named("jobs.job");

	@Override
	public String resolve(ServerWebExchange exchange, LlmExchange llm) {
		String tenant = exchange.getAttribute(JobCallerFilter.TENANT_ATTRIBUTE);
		if (tenant == null || llm == null) {
			return null;
		}
		llm.put(JOB, exchange.getAttribute(JobCallerFilter.JOB_ATTRIBUTE));
		llm.markRequestPrepaid();
		return tenant;
	}

	@Override
	public int getOrder() {
		return 0;
	}

}
