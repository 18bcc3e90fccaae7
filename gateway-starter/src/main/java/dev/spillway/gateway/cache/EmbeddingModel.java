package dev.spillway.gateway.cache;

import reactor.core.publisher.Mono;

/**
 * Turns text into a unit-length vector for the semantic cache. Implementations keep inference off the event loop
 * and bound its time; a failure or timeout is an error the cache treats as a miss.
 */
public interface EmbeddingModel {

	/** The model's identity; the vector index is keyed by it, so entries of another model are never compared. */
	String id();

	/** The text's embedding, normalised to length 1. */
	Mono<float[]> embed(String text);

	/** Scales {@code vector} to length 1 in place and returns it. */
	static float[] normalise(float[] vector) {
		double sum = 0;
		for (float value : vector) {
			sum += value * value;
		}
		double length = Math.sqrt(sum);
		if (length > 0) {
			for (int i = 0; i < vector.length; i++) {
				vector[i] = (float) (vector[i] / length);
			}
		}
		return vector;
	}

}
