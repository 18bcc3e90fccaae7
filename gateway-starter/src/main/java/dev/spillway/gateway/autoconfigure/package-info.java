/**
 * The core auto-configuration, which every capability's auto-configuration runs after. Knows no capability.
 */
package dev.spillway.gateway.autoconfigure;

