package dev.spillway.gateway.upstream;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.config.SpillwayProperties.Backend;
import dev.spillway.gateway.config.SpillwayProperties.BackendType;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.web.util.UriUtils;

/** How a client request is addressed and worded for one backend: its URL and its body. */
public final class BackendRequests {

	private final JsonMapper json;

	public BackendRequests(JsonMapper json) {
		this.json = json;
	}

	/** The URL to call at {@code backend}, in the backend's own form. */
	public URI url(Backend backend, LlmRequest request) {
		String base = stripTrailingSlash(backend.getUrl().toString());
		if (backend.getType() == BackendType.AZURE) {
			String deployment = backend.getDeployment() != null ? backend.getDeployment() : request.model();
			String apiVersion = backend.getApiVersion() != null ? backend.getApiVersion()
					: request.apiVersion() != null ? request.apiVersion() : Backend.DEFAULT_API_VERSION;
			return URI.create(base + "/openai/deployments/" + UriUtils.encodePathSegment(deployment, StandardCharsets.UTF_8)
					+ "/" + request.operation().path() + "?api-version="
					+ UriUtils.encodeQueryParam(apiVersion, StandardCharsets.UTF_8));
		}
		return URI.create(base + "/" + request.operation().path());
	}

	/**
	 * The body to send to {@code backend}: the client's bytes unchanged unless the backend needs another
	 * {@code model} value (OpenAI form), in which case only that field differs.
	 */
	public byte[] body(Backend backend, LlmRequest request) {
		if (backend.getType() != BackendType.OPENAI) {
			return request.bodyBytes();
		}
		String model = backend.getModel() != null ? backend.getModel() : request.model();
		if (model == null || model.equals(request.body().path("model").asString(null))) {
			return request.bodyBytes();
		}
		ObjectNode copy = request.body().deepCopy();
		copy.put("model", model);
		return json.writeValueAsBytes(copy);
	}

	private static String stripTrailingSlash(String url) {
		return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
	}

}
