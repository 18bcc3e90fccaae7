/**
 * {@code Idempotency-Key}: safe client retries, scoped by tenant, kept in Redis. Uses the core.
 */
package dev.spillway.gateway.idempotency;

