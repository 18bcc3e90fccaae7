package dev.spillway.gateway.upstream;

import java.util.ArrayList;
import java.util.List;

import jakarta.validation.constraints.NotBlank;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The headers allowed to cross the gateway, in each direction.
 */
@Validated
@ConfigurationProperties(prefix = "spillway.headers")
public class HeaderProperties {

	/** Client request headers forwarded to backends; any other is dropped. */
	private List<@NotBlank String> toBackends = new ArrayList<>(List.of("Content-Type", "Accept", "User-Agent",
			"OpenAI-Beta", "Idempotency-Key", "traceparent", "tracestate", "x-ms-client-request-id", "X-Stainless-*"));

	/**
	 * Backend answer headers returned to clients; any other is dropped. A backend's {@code x-ratelimit-*} never
	 * passes (clients get the tenant's), retry hints only on error answers.
	 */
	private List<@NotBlank String> toClients = new ArrayList<>(List.of("Content-Type", "Cache-Control", "x-request-id",
			"openai-processing-ms", "Retry-After", "retry-after-ms", "x-ms-retry-after-ms"));

	public List<String> getToBackends() {
		return toBackends;
	}

	public void setToBackends(List<String> toBackends) {
		this.toBackends = toBackends;
	}

	public List<String> getToClients() {
		return toClients;
	}

	public void setToClients(List<String> toClients) {
		this.toClients = toClients;
	}

}
