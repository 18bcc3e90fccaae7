/** What the cache publishes to other capabilities: its report on semantic hits. */
package dev.spillway.gateway.cache.api;
