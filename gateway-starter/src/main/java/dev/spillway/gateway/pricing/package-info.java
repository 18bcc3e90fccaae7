/**
 * Prices of models ({@code spillway.pricing}). Publishes {@link dev.spillway.gateway.pricing.api}; uses the core.
 */
package dev.spillway.gateway.pricing;

