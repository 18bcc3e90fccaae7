/** What pricing publishes for other capabilities: the cost of a model's tokens. */
package dev.spillway.gateway.pricing.api;

