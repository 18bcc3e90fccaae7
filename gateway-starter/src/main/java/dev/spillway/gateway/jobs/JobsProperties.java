package dev.spillway.gateway.jobs;

import java.time.Duration;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Async jobs ({@code Prefer: respond-async}).
 */
@Validated
@ConfigurationProperties(prefix = "spillway.jobs")
public class JobsProperties {

	/** Whether {@code Prefer: respond-async} is honoured and this instance works off jobs. */
	private boolean enabled = true;

	/** Jobs this instance works on at once. */
	@Min(1)
	private int workers = 2;

	/** Most jobs one tenant may have queued or running; more are refused with 429. */
	@Min(1)
	private int maxQueuedPerTenant = 1000;

	/** How long a job and its result are kept. */
	@NotNull
	private Duration resultTtl = Duration.ofHours(24);

	/** A job held this long by an instance without being finished is taken over by another (its instance died). */
	@NotNull
	private Duration reclaimAfter = Duration.ofMinutes(5);

	/**
	 * How often an idle worker looks for new (and abandoned) jobs: two Redis commands per idle worker per
	 * interval, whatever the traffic.
	 */
	@NotNull
	private Duration pollInterval = Duration.ofSeconds(1);

	/**
	 * Largest answer a job keeps as its result; a larger one ends the job as {@code failed} with
	 * {@code result_too_large} (it is not sent again).
	 */
	@NotNull
	private DataSize maxResultSize = DataSize.ofMegabytes(16);

	/**
	 * Most bytes one tenant's jobs may keep in Redis at once, queued requests and kept results together; a
	 * submission beyond it is refused with 429 {@code job_queue_full}, a result beyond it is not kept (the job
	 * fails with {@code job_storage_full}).
	 */
	@NotNull
	private DataSize maxStoredBytesPerTenant = DataSize.ofMegabytes(64);

	/** Whether {@code GET <status-path>/{id}} serves a job's state and result on the gateway's port. */
	private boolean statusEnabled = true;

	/** Where a job's state and result are served; the 202's {@code Location} points there. */
	@NotBlank
	@Pattern(regexp = "/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]", message = "must be an absolute path without a trailing '/'")
	private String statusPath = "/spillway/jobs";

	public DataSize getMaxResultSize() {
		return maxResultSize;
	}

	public void setMaxResultSize(DataSize maxResultSize) {
		this.maxResultSize = maxResultSize;
	}

	public DataSize getMaxStoredBytesPerTenant() {
		return maxStoredBytesPerTenant;
	}

	public void setMaxStoredBytesPerTenant(DataSize maxStoredBytesPerTenant) {
		this.maxStoredBytesPerTenant = maxStoredBytesPerTenant;
	}

	public boolean isStatusEnabled() {
		return statusEnabled;
	}

	public void setStatusEnabled(boolean statusEnabled) {
		this.statusEnabled = statusEnabled;
	}

	public String getStatusPath() {
		return statusPath;
	}

	public void setStatusPath(String statusPath) {
		this.statusPath = statusPath;
	}

	/** The status path with its trailing {@code /}, ready for a job id. */
	public String statusPathPrefix() {
		return statusPath + "/";
	}

	public boolean isEnabled() {
		return enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public int getWorkers() {
		return workers;
	}

	public void setWorkers(int workers) {
		this.workers = workers;
	}

	public int getMaxQueuedPerTenant() {
		return maxQueuedPerTenant;
	}

	public void setMaxQueuedPerTenant(int maxQueuedPerTenant) {
		this.maxQueuedPerTenant = maxQueuedPerTenant;
	}

	public Duration getResultTtl() {
		return resultTtl;
	}

	public void setResultTtl(Duration resultTtl) {
		this.resultTtl = resultTtl;
	}

	public Duration getReclaimAfter() {
		return reclaimAfter;
	}

	public void setReclaimAfter(Duration reclaimAfter) {
		this.reclaimAfter = reclaimAfter;
	}

	public Duration getPollInterval() {
		return pollInterval;
	}

	public void setPollInterval(Duration pollInterval) {
		this.pollInterval = pollInterval;
	}

}
