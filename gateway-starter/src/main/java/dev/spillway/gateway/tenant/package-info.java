/**
 * Who is calling: the API-key tenant resolver and the filter that asks every resolver (401 here only). Uses the core.
 */
package dev.spillway.gateway.tenant;

