/**
 * OpenAI-style errors, built in one place, and the handler that answers failures on Spillway routes.
 */
package dev.spillway.gateway.error;
