package dev.spillway.gateway.request;

import java.util.ArrayList;
import java.util.List;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Reading of client requests: body size, the API path prefixes that get OpenAI-style 404s, and the CPU pool
 * for heavy request work.
 */
@Validated
@ConfigurationProperties(prefix = "spillway.request")
public class RequestProperties {

	/** Largest accepted request body; a larger one is answered with 413 before anything is sent upstream. */
	@NotNull
	private DataSize maxBodySize = DataSize.ofMegabytes(8);

	public DataSize getMaxBodySize() {
		return maxBodySize;
	}

	public void setMaxBodySize(DataSize maxBodySize) {
		this.maxBodySize = maxBodySize;
	}

	/**
	 * Path prefixes that belong to the OpenAI and Azure OpenAI APIs: a request under one of them that no route
	 * serves gets an OpenAI-style 404 ({@code invalid_request_error}), which OpenAI's SDKs can show, instead of
	 * Spring Boot's error page.
	 */
	@NotNull
	private List<@Pattern(regexp = "/.*", message = "must start with '/'") String> apiPathPrefixes = new ArrayList<>(
			List.of("/v1/", "/openai/"));

	public List<String> getApiPathPrefixes() {
		return apiPathPrefixes;
	}

	public void setApiPathPrefixes(List<String> apiPathPrefixes) {
		this.apiPathPrefixes = apiPathPrefixes;
	}

	@AssertTrue(message = "max-body-size must be between 1KB and 1GB")
	public boolean isMaxBodySizeInRange() {
		return maxBodySize == null
				|| maxBodySize.toBytes() >= 1024 && maxBodySize.toBytes() <= DataSize.ofGigabytes(1).toBytes();
	}

	/**
	 * Threads of Spillway's own pool for CPU-heavy request work (parsing and tokenizing bodies over 32 KB, cache
	 * keys of such bodies), so neither the event loops nor Reactor's timer threads do it.
	 */
	@Min(1)
	private int cpuThreads = Runtime.getRuntime().availableProcessors();

	/**
	 * Tasks that may wait per thread of that pool; beyond them a request is answered 503 {@code overloaded} with
	 * {@code Retry-After}.
	 */
	@Min(1)
	private int cpuQueueCapacity = 64;

	public int getCpuThreads() {
		return cpuThreads;
	}

	public void setCpuThreads(int cpuThreads) {
		this.cpuThreads = cpuThreads;
	}

	public int getCpuQueueCapacity() {
		return cpuQueueCapacity;
	}

	public void setCpuQueueCapacity(int cpuQueueCapacity) {
		this.cpuQueueCapacity = cpuQueueCapacity;
	}

}
