/**
 * Configuration properties ({@code spillway.*}) and the auto-configuration that installs Spillway.
 */
package dev.spillway.gateway.config;
