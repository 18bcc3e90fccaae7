/**
 * Smart load balancing and model routing: priority groups and weights, throttles shared through Redis, circuit
 * breakers, failover, the load balancer behind {@code lb://<pool>}, routing rules. Publishes
 * {@link dev.spillway.gateway.routing.api}; uses the core.
 */
package dev.spillway.gateway.routing;

