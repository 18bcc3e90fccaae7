/**
 * The core every capability stands on: pools, backends and tenants (their properties and the immutable values the
 * runtime uses), filter orders, header names, name rules, hashes. Depends on no other Spillway package.
 */
package dev.spillway.gateway.core;

