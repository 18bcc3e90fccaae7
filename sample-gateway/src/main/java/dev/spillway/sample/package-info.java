/**
 * The sample gateway: the Spillway starter and YAML, plus the embedded demo environment.
 */
package dev.spillway.sample;
