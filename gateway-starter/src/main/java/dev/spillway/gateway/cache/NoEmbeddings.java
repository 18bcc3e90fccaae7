package dev.spillway.gateway.cache;

import reactor.core.publisher.Mono;

/** The embedding model of a cache without semantic lookups ({@code spillway.cache.embedding.type: none}). */
final class NoEmbeddings implements EmbeddingModel {

	@Override
	public String id() {
		return "none";
	}

	@Override
	public Mono<float[]> embed(String text) {
		return Mono.error(new IllegalStateException("semantic lookups are off"));
	}

}
