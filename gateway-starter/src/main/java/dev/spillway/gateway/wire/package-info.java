/**
 * What crosses the wire in OpenAI's formats: answers kept for replay and their replay as JSON or Server-Sent Events.
 * Uses the core and errors only.
 */
package dev.spillway.gateway.wire;

