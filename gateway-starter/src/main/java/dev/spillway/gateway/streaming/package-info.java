/**
 * The response side: event-by-event relay of Server-Sent Events and the end-of-body settlement.
 */
package dev.spillway.gateway.streaming;
