/**
 * The request's context ({@link dev.spillway.gateway.request.LlmExchange}) and the one reading, parsing and validation of its body.
 */
package dev.spillway.gateway.request;
