package dev.spillway.gateway.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/** A pool of interchangeable backends (deployments of the same model). */
public class PoolProperties {

	/** Backends of this pool. Lower priority numbers are preferred; weights split traffic within a priority. */
	@NotEmpty
	@Valid
	private List<BackendProperties> backends = new ArrayList<>();

	/**
	 * Model (OpenAI form) or deployment (Azure form) names clients may ask this pool for; another name is answered
	 * with 404 {@code model_not_found}. {@code "*"} allows any name, on purpose. Required (start-up fails without
	 * it) unless every backend has a fixed {@code deployment} (azure) or {@code model} (openai).
	 */
	private List<String> models = new ArrayList<>();

	/**
	 * Spill budget: how long a request may wait, in total, for a throttled backend of a more preferred priority
	 * group to recover instead of spilling to a less preferred group (the PTU pattern). 0 spills at once. When
	 * every group is throttled, it is also how long a request waits for the earliest recovery before the
	 * client gets 429. A request may lower it with the {@code x-spillway-max-wait} header (milliseconds).
	 */
	@NotNull
	private Duration maxWait = Duration.ZERO;

	/**
	 * Tokenizer encoding for requests to this pool ({@code o200k_base}, {@code cl100k_base}, ...). Default: chosen
	 * from the model name (see {@code spillway.limits.encodings}). Set it when deployment names do not reveal
	 * the model.
	 */
	private String encoding;

	public String getEncoding() {
		return encoding;
	}

	public void setEncoding(String encoding) {
		this.encoding = encoding;
	}

	/**
	 * Where a request goes when every backend of this pool is throttled beyond the spill budget (or broken):
	 * another pool (another region or model). Unset: the client gets 429 / 503.
	 */
	@Valid
	private Fallback fallback;

	/** Where a request goes when a backend answers 400 {@code context_length_exceeded}: a larger-context model. */
	@Valid
	private Fallback contextFallback;

	public Fallback getFallback() {
		return fallback;
	}

	public void setFallback(Fallback fallback) {
		this.fallback = fallback;
	}

	public Fallback getContextFallback() {
		return contextFallback;
	}

	public void setContextFallback(Fallback contextFallback) {
		this.contextFallback = contextFallback;
	}

	/** Most backend calls one request may make (the first try included) before its outcome is final. */
	@Min(1)
	private int maxAttempts = 4;

	/** Time from the request's arrival after which no new attempt is started. */
	@NotNull
	private Duration deadline = Duration.ofSeconds(60);

	public Duration getMaxWait() {
		return maxWait;
	}

	public void setMaxWait(Duration maxWait) {
		this.maxWait = maxWait;
	}

	public int getMaxAttempts() {
		return maxAttempts;
	}

	public void setMaxAttempts(int maxAttempts) {
		this.maxAttempts = maxAttempts;
	}

	public Duration getDeadline() {
		return deadline;
	}

	public void setDeadline(Duration deadline) {
		this.deadline = deadline;
	}

	@AssertTrue(message = "max-wait must not be negative and deadline must be positive")
	public boolean isDurationsValid() {
		return maxWait != null && !maxWait.isNegative() && deadline != null && !deadline.isNegative()
				&& !deadline.isZero();
	}

	public List<BackendProperties> getBackends() {
		return backends;
	}

	public void setBackends(List<BackendProperties> backends) {
		this.backends = backends;
	}

	public List<String> getModels() {
		return models;
	}

	public void setModels(List<String> models) {
		this.models = models;
	}

	@AssertTrue(message = "backend ids must be unique within a pool")
	public boolean isBackendIdsUnique() {
		Set<String> ids = new HashSet<>();
		return backends.stream().allMatch(b -> b.getId() == null || ids.add(b.getId()));
	}

	/** Another pool (and optionally model) to send a request to. */
	public static class Fallback {

		/** The pool. */
		@NotBlank
		private String pool;

		/** The model to ask for there. Default: the model the client asked for. */
		private String model;

		public String getPool() {
			return pool;
		}

		public void setPool(String pool) {
			this.pool = pool;
		}

		public String getModel() {
			return model;
		}

		public void setModel(String model) {
			this.model = model;
		}

	}

}
