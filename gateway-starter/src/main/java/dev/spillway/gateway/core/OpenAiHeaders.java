package dev.spillway.gateway.core;

/** The header names of the OpenAI and Azure OpenAI wire forms, in one place. */
public final class OpenAiHeaders {

	/** Azure's key header (clients may send it instead of {@code Authorization: Bearer}). */
	public static final String API_KEY = "api-key";

	/** The request's id, both ways. */
	public static final String REQUEST_ID = "x-request-id";

	/** OpenAI's millisecond companion of {@code Retry-After}. */
	public static final String RETRY_AFTER_MS = "retry-after-ms";

	/** Azure's millisecond retry hint. */
	public static final String MS_RETRY_AFTER_MS = "x-ms-retry-after-ms";

	public static final String LIMIT_TOKENS = "x-ratelimit-limit-tokens";

	public static final String REMAINING_TOKENS = "x-ratelimit-remaining-tokens";

	public static final String RESET_TOKENS = "x-ratelimit-reset-tokens";

	public static final String LIMIT_REQUESTS = "x-ratelimit-limit-requests";

	public static final String REMAINING_REQUESTS = "x-ratelimit-remaining-requests";

	public static final String RESET_REQUESTS = "x-ratelimit-reset-requests";

	/** Azure OpenAI provisioned (PTU) deployments: the share of their capacity in use, in percent. */
	public static final String DEPLOYMENT_UTILIZATION = "azure-openai-deployment-utilization";

	/** Prefix of the request headers addressed to the gateway itself; never forwarded. */
	public static final String SPILLWAY_PREFIX = "x-spillway-";

	private OpenAiHeaders() {
	}

}
