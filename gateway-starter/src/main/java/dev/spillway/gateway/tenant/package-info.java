/**
 * Who is calling: API keys to tenants, checked before anything else.
 */
package dev.spillway.gateway.tenant;
