package dev.spillway.gateway.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Everything Spillway is told in {@code application.yml} under {@code spillway.*}. Validated at start-up:
 * a wrong value stops the application with a message naming the property.
 */
@Validated
@ConfigurationProperties(prefix = "spillway")
public class SpillwayProperties {

	/** Pools of backends, by pool name. A route whose uri is {@code lb://<pool>} is served by that pool. */
	@Valid
	private Map<String, Pool> pools = new LinkedHashMap<>();

	/** Tenants, by tenant id, with the API keys that authenticate them. */
	@Valid
	private Map<String, Tenant> tenants = new LinkedHashMap<>();

	/** How client requests are read. */
	@Valid
	private Request request = new Request();

	/** How streamed (Server-Sent Events) answers are relayed. */
	@Valid
	private Streaming streaming = new Streaming();

	public Map<String, Pool> getPools() {
		return pools;
	}

	public void setPools(Map<String, Pool> pools) {
		this.pools = pools;
	}

	public Map<String, Tenant> getTenants() {
		return tenants;
	}

	public void setTenants(Map<String, Tenant> tenants) {
		this.tenants = tenants;
	}

	public Request getRequest() {
		return request;
	}

	public void setRequest(Request request) {
		this.request = request;
	}

	public Streaming getStreaming() {
		return streaming;
	}

	public void setStreaming(Streaming streaming) {
		this.streaming = streaming;
	}

	/** One key must name one tenant: a key listed under two tenants would make the caller ambiguous. */
	@AssertTrue(message = "an API key may belong to one tenant only (spillway.tenants.*.keys)")
	public boolean isTenantKeysUnique() {
		Set<String> seen = new HashSet<>();
		for (Tenant tenant : tenants.values()) {
			for (String key : tenant.getKeys()) {
				if (key != null && !seen.add(key)) {
					return false;
				}
			}
		}
		return true;
	}

	/** A pool of interchangeable backends (deployments of the same model). */
	public static class Pool {

		/** Backends of this pool. Lower priority numbers are preferred; weights split traffic within a priority. */
		@NotEmpty
		@Valid
		private List<Backend> backends = new ArrayList<>();

		/**
		 * Model (OpenAI form) or deployment (Azure form) names clients may ask this pool for. Empty: any name.
		 * Another name is answered with 404 {@code model_not_found}.
		 */
		private List<String> models = new ArrayList<>();

		public List<Backend> getBackends() {
			return backends;
		}

		public void setBackends(List<Backend> backends) {
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

	}

	/** One upstream deployment: where it is, how to authenticate, and how to name the model there. */
	public static class Backend {

		/** Identifier of the backend within its pool, used in headers, metrics, logs and shared state. */
		@NotBlank
		@Pattern(regexp = "[A-Za-z0-9._-]+", message = "may contain only letters, digits, '.', '_' and '-'")
		private String id;

		/**
		 * Base URL. For {@code azure}: the resource endpoint, e.g. {@code https://my.openai.azure.com}. For
		 * {@code openai}: the API base including its version path, e.g. {@code https://api.openai.com/v1}.
		 */
		@NotNull
		private URI url;

		/** Wire form the backend speaks. */
		@NotNull
		private BackendType type = BackendType.OPENAI;

		/** Azure deployment name at this backend. Default: the deployment or model the client asked for. */
		private String deployment;

		/** OpenAI {@code model} value to send to this backend. Default: the model the client asked for. */
		private String model;

		/** Azure {@code api-version} query value. Default: the client's, else {@value #DEFAULT_API_VERSION}. */
		private String apiVersion;

		/** The backend's key. Never returned to clients or logged. */
		private String apiKey;

		/** Header that carries {@link #apiKey}. Default: {@code api-key} for azure, bearer for openai. */
		private AuthHeader authHeader;

		/** Priority group; 1 is tried first, then 2, and so on. */
		@Min(0)
		private int priority = 1;

		/** Relative share of traffic within the priority group. */
		@Min(1)
		private int weight = 1;

		public static final String DEFAULT_API_VERSION = "2024-10-21";

		@AssertTrue(message = "url must be an absolute http or https URL")
		public boolean isUrlHttp() {
			return url == null || ("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme()))
					&& url.getHost() != null;
		}

		public AuthHeader effectiveAuthHeader() {
			if (authHeader != null) {
				return authHeader;
			}
			return type == BackendType.AZURE ? AuthHeader.API_KEY : AuthHeader.BEARER;
		}

		public String getId() {
			return id;
		}

		public void setId(String id) {
			this.id = id;
		}

		public URI getUrl() {
			return url;
		}

		public void setUrl(URI url) {
			this.url = url;
		}

		public BackendType getType() {
			return type;
		}

		public void setType(BackendType type) {
			this.type = type;
		}

		public String getDeployment() {
			return deployment;
		}

		public void setDeployment(String deployment) {
			this.deployment = deployment;
		}

		public String getModel() {
			return model;
		}

		public void setModel(String model) {
			this.model = model;
		}

		public String getApiVersion() {
			return apiVersion;
		}

		public void setApiVersion(String apiVersion) {
			this.apiVersion = apiVersion;
		}

		public String getApiKey() {
			return apiKey;
		}

		public void setApiKey(String apiKey) {
			this.apiKey = apiKey;
		}

		public AuthHeader getAuthHeader() {
			return authHeader;
		}

		public void setAuthHeader(AuthHeader authHeader) {
			this.authHeader = authHeader;
		}

		public int getPriority() {
			return priority;
		}

		public void setPriority(int priority) {
			this.priority = priority;
		}

		public int getWeight() {
			return weight;
		}

		public void setWeight(int weight) {
			this.weight = weight;
		}

		@Override
		public String toString() {
			return "Backend[" + id + " " + url + "]";
		}

	}

	/** The wire form a backend speaks. */
	public enum BackendType {

		/** {@code /openai/deployments/{deployment}/...?api-version=...}. */
		AZURE,

		/** {@code {url}/chat/completions} with {@code model} in the body. */
		OPENAI

	}

	/** Where a backend's key is sent. */
	public enum AuthHeader {

		/** {@code api-key: <key>}, as Azure OpenAI expects. */
		API_KEY,

		/** {@code Authorization: Bearer <key>}, as OpenAI and most compatible servers expect. */
		BEARER

	}

	/** A caller of the gateway. */
	public static class Tenant {

		/** API keys of this tenant: plain text, or {@code sha256:<64 hex digits>} so the plain key is not stored. */
		@NotEmpty
		private List<@NotBlank @Pattern(regexp = "(?!sha256:).+|sha256:[0-9a-fA-F]{64}",
				message = "a sha256: key must be followed by 64 hex digits") String> keys = new ArrayList<>();

		public List<String> getKeys() {
			return keys;
		}

		public void setKeys(List<String> keys) {
			this.keys = keys;
		}

	}

	/** Reading of client requests. */
	public static class Request {

		/** Largest accepted request body; a larger one is answered with 413 before anything is sent upstream. */
		@NotNull
		private DataSize maxBodySize = DataSize.ofMegabytes(8);

		public DataSize getMaxBodySize() {
			return maxBodySize;
		}

		public void setMaxBodySize(DataSize maxBodySize) {
			this.maxBodySize = maxBodySize;
		}

		@AssertTrue(message = "max-body-size must be between 1KB and 1GB")
		public boolean isMaxBodySizeInRange() {
			return maxBodySize == null
					|| maxBodySize.toBytes() >= 1024 && maxBodySize.toBytes() <= DataSize.ofGigabytes(1).toBytes();
		}

	}

	/** Relaying of streamed answers. */
	public static class Streaming {

		/**
		 * Longest silence tolerated between two events of a streamed answer (and before the first one). When it
		 * passes, the client's stream ends with an error event and the upstream request is cancelled.
		 */
		@NotNull
		private Duration idleTimeout = Duration.ofSeconds(120);

		public Duration getIdleTimeout() {
			return idleTimeout;
		}

		public void setIdleTimeout(Duration idleTimeout) {
			this.idleTimeout = idleTimeout;
		}

		@AssertTrue(message = "idle-timeout must be positive")
		public boolean isIdleTimeoutPositive() {
			return idleTimeout == null || !idleTimeout.isNegative() && !idleTimeout.isZero();
		}

	}

}
