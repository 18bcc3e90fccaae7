/**
 * How a client request is addressed, authenticated and worded for the chosen backend.
 */
package dev.spillway.gateway.upstream;
