package dev.spillway.gateway.responses;

import java.time.Duration;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/** Responses API state. */
@Validated
@ConfigurationProperties(prefix = "spillway.responses")
public class ResponsesProperties {

	/**
	 * Whether responses are pinned to the backend that stored them. Off: requests naming a stored response are
	 * routed like any other, and may reach a backend that does not hold it.
	 */
	private boolean affinity = true;

	/** How long the record of which backend stored a response is kept (OpenAI keeps stored responses 30 days). */
	@NotNull
	private Duration affinityTtl = Duration.ofDays(30);

	public boolean isAffinity() {
		return affinity;
	}

	public void setAffinity(boolean affinity) {
		this.affinity = affinity;
	}

	public Duration getAffinityTtl() {
		return affinityTtl;
	}

	public void setAffinityTtl(Duration affinityTtl) {
		this.affinityTtl = affinityTtl;
	}

}
