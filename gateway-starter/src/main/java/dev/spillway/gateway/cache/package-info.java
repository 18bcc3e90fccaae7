/**
 * The semantic response cache: exact and semantic lookups in Redis, the per-instance vector index, embedding models.
 * Uses the core; {@link dev.spillway.gateway.cache.EmbeddingModel} is an extension point.
 */
package dev.spillway.gateway.cache;

