/**
 * The response side: event-by-event relay of Server-Sent Events, reading of the answer, and the end-of-answer
 * settlement that calls every {@link dev.spillway.gateway.request.AnswerCompletion}. Uses the core.
 */
package dev.spillway.gateway.streaming;

