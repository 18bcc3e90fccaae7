/**
 * Responses API state: a stored response lives on the backend that created it, so requests that refer to one
 * ({@code previous_response_id}, retrieve, delete, cancel, input items, a resumed stream) are pinned to that backend,
 * from a record in Redis. Uses the core and routing's published api.
 */
package dev.spillway.gateway.responses;
