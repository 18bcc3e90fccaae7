/**
 * Usage and cost metrics, the request log, and the Actuator endpoint and health indicator. Uses the core and the
 * {@code api} packages of routing, limits and pricing.
 */
package dev.spillway.gateway.observability;

