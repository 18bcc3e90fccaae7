/**
 * Pools of backends and the load balancer that chooses among them.
 */
package dev.spillway.gateway.routing;
