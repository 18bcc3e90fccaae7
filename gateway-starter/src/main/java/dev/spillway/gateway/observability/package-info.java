/**
 * Request logs (and, later, metrics and health).
 */
package dev.spillway.gateway.observability;
