/**
 * Idempotency keys: safe client retries, scoped by tenant, kept in Redis.
 */
package dev.spillway.gateway.idempotency;
