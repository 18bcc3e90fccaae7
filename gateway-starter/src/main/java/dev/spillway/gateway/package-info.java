/**
 * Spillway: a Spring Cloud Gateway starter for LLM traffic. Filter orders live in {@link dev.spillway.gateway.SpillwayFilterOrders}.
 */
package dev.spillway.gateway;

