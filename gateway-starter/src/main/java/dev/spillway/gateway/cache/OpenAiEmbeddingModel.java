package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.Map;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import dev.spillway.gateway.core.BackendProperties.AuthHeader;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

/** Embeddings from an OpenAI-compatible {@code /embeddings} endpoint, such as an Azure embeddings deployment. */
class OpenAiEmbeddingModel implements EmbeddingModel {

	private final WebClient client;

	private final String model;

	private final Duration timeout;

	public OpenAiEmbeddingModel(WebClient.Builder builder, CacheProperties.Embedding config) {
		String base = config.getUrl().toString();
		WebClient.Builder configured = builder.baseUrl(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
		if (config.getApiKey() != null) {
			configured = config.getAuthHeader() == AuthHeader.API_KEY
					? configured.defaultHeader("api-key", config.getApiKey())
					: configured.defaultHeader("Authorization", "Bearer " + config.getApiKey());
		}
		this.client = configured.build();
		this.model = config.getModel();
		this.timeout = config.getTimeout();
	}

	@Override
	public String id() {
		return "openai:" + model;
	}

	@Override
	public Mono<float[]> embed(String text) {
		return client.post()
			.uri("/embeddings")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(Map.of("model", model, "input", text))
			.retrieve()
			.bodyToMono(JsonNode.class)
			.map(answer -> {
				JsonNode values = answer.path("data").path(0).path("embedding");
				if (!values.isArray() || values.isEmpty()) {
					throw new IllegalStateException("The embeddings endpoint returned no embedding");
				}
				float[] vector = new float[values.size()];
				for (int i = 0; i < vector.length; i++) {
					vector[i] = (float) values.get(i).asDouble();
				}
				return EmbeddingModel.normalise(vector);
			})
			.timeout(timeout);
	}

}
