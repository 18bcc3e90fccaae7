/**
 * How a client request is addressed, authenticated and worded for the chosen backend, and which headers cross the
 * gateway. Uses the core.
 */
package dev.spillway.gateway.upstream;

