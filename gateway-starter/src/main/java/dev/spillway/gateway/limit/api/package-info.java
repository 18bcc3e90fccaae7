/**
 * What the limits publish for other capabilities: job submission admission and a report for operators. Nothing
 * else of the limits may be used outside them.
 */
package dev.spillway.gateway.limit.api;

