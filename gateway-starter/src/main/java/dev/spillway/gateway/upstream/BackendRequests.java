package dev.spillway.gateway.upstream;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.BackendProperties.BackendType;
import dev.spillway.gateway.request.LlmRequest;

import org.springframework.web.util.UriUtils;

/** How a client request is addressed and worded for one backend: its URL and its body. */
final class BackendRequests {

	private final JsonMapper json;

	BackendRequests(JsonMapper json) {
		this.json = json;
	}

	/** The URL to call at {@code backend}, in the backend's own form. */
	URI url(BackendDefinition backend, LlmRequest request) {
		String base = stripTrailingSlash(backend.url().toString());
		if (backend.type() == BackendType.AZURE) {
			String deployment = backend.modelAtBackend(request.model());
			String apiVersion = backend.apiVersion() != null ? backend.apiVersion()
					: request.apiVersion() != null ? request.apiVersion() : BackendDefinition.DEFAULT_API_VERSION;
			return URI.create(base + "/openai/deployments/" + UriUtils.encodePathSegment(deployment, StandardCharsets.UTF_8)
					+ "/" + request.operation().path() + "?api-version="
					+ UriUtils.encodeQueryParam(apiVersion, StandardCharsets.UTF_8));
		}
		return URI.create(base + "/" + request.operation().path());
	}

	/**
	 * The body to send to {@code backend}: the client's bytes unchanged unless the backend needs another
	 * {@code model} value (OpenAI form), or the request streams and the usage chunk must be asked for
	 * ({@code stream_options.include_usage}) so the stream can be charged exactly; only those fields differ.
	 */
	byte[] body(BackendDefinition backend, LlmRequest request) {
		String model = backend.type() == BackendType.OPENAI ? backend.modelAtBackend(request.model()) : null;
		boolean newModel = model != null && !model.equals(request.body().path("model").asString(null));
		ObjectNode withUsage = backend.streamUsage() ? request.operation().format().askForStreamUsage(request.body())
				: null;
		if (!newModel && withUsage == null) {
			return request.bodyBytes();
		}
		ObjectNode copy = withUsage != null ? withUsage : request.body().deepCopy();
		if (newModel) {
			copy.put("model", model);
		}
		return json.writeValueAsBytes(copy);
	}

	private static String stripTrailingSlash(String url) {
		return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
	}

}
