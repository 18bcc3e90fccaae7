/**
 * Async jobs: requests accepted at once (202) and worked off from a Redis Stream at the pace backends allow. Uses the
 * core and {@link dev.spillway.gateway.limit.api}.
 */
package dev.spillway.gateway.jobs;

