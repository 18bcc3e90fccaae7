package dev.spillway.mock;

import java.util.Map;

/**
 * A request as the mock received it, for tests to assert on what the gateway sent upstream.
 *
 * @param deployment the deployment it addressed
 * @param method HTTP method
 * @param uri the request URI with its query
 * @param headers request headers, names lower-cased, first value of each
 * @param body the raw body
 */
public record RecordedRequest(String deployment, String method, String uri, Map<String, String> headers, String body) {

	public String header(String name) {
		return headers.get(name.toLowerCase(java.util.Locale.ROOT));
	}

}
