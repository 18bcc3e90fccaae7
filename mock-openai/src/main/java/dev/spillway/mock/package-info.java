/**
 * A simulated Azure OpenAI / OpenAI backend for demos and tests.
 */
package dev.spillway.mock;
