/**
 * Tenant limits in tokens and requests (Bucket4j in Redis), admission, settlement and the tenant's rate-limit
 * headers. Publishes {@link dev.spillway.gateway.limit.api} for jobs and operators; uses the core.
 */
package dev.spillway.gateway.limit;

