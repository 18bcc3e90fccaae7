/**
 * The request's context ({@link dev.spillway.gateway.request.LlmExchange} with its typed slots), how its body is read
 * once, parsed and counted, and the SPIs capabilities implement: {@link dev.spillway.gateway.request.TenantResolver}
 * and {@link dev.spillway.gateway.request.AnswerCompletion}. Uses the core, errors and wire formats; knows no capability.
 */
package dev.spillway.gateway.request;

