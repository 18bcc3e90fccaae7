/**
 * OpenAI-style errors, built in one place ({@code {"error":{...}}} bodies and SSE error events), and the retry
 * advice refused requests get. Uses the core only.
 */
package dev.spillway.gateway.error;

