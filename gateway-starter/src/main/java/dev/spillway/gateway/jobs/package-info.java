/**
 * Async jobs: requests accepted at once (202) and worked off from a Redis Stream at the pace backends allow.
 */
package dev.spillway.gateway.jobs;
