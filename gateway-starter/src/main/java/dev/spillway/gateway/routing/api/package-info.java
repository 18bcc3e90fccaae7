/**
 * What routing publishes for other capabilities: a report of the pools' live state. Nothing else of routing may be
 * used outside it.
 */
package dev.spillway.gateway.routing.api;

