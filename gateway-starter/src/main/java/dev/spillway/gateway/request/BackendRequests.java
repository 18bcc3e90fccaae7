package dev.spillway.gateway.request;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.BackendProperties.AuthHeader;
import dev.spillway.gateway.core.BackendProperties.AzureForm;
import dev.spillway.gateway.core.BackendProperties.BackendType;
import dev.spillway.gateway.core.OpenAiHeaders;

import org.springframework.web.util.UriUtils;

/**
 * How a client request is addressed and worded for one backend: its URL, its body and its credentials. Used for
 * every attempt, and for the request that continues a broken stream on another backend.
 */
public final class BackendRequests {

	private final JsonMapper json;

	public BackendRequests(JsonMapper json) {
		this.json = json;
	}

	/** A backend's key as the header that carries it. */
	public record Credentials(String header, String value) {
	}

	/** How {@code backend}'s key is sent, or {@code null} when it has none. */
	public static Credentials credentials(BackendDefinition backend) {
		if (backend.apiKey() == null) {
			return null;
		}
		return backend.authHeader() == AuthHeader.API_KEY ? new Credentials(OpenAiHeaders.API_KEY, backend.apiKey())
				: new Credentials("Authorization", "Bearer " + backend.apiKey());
	}

	/** The URL to call at {@code backend}, in the backend's own form. */
	public URI url(BackendDefinition backend, LlmRequest request) {
		String base = stripTrailingSlash(backend.url().toString());
		String operation = request.target() != null ? request.target() : request.operation().path();
		if (backend.type() != BackendType.AZURE) {
			return URI.create(base + "/" + operation);
		}
		if (backend.azureForm() == AzureForm.V1) {
			return URI.create(base + "/openai/v1/" + operation);
		}
		if (request.operation().isResponses()) {
			// Legacy Azure serves Responses per resource, the deployment named in the body.
			return URI.create(base + "/openai/" + operation + (operation.indexOf('?') >= 0 ? "&" : "?") + "api-version="
					+ UriUtils.encodeQueryParam(backend.responsesApiVersion(), StandardCharsets.UTF_8));
		}
		String deployment = backend.modelAtBackend(request.model());
		String apiVersion = backend.apiVersion() != null ? backend.apiVersion()
				: request.apiVersion() != null ? request.apiVersion() : BackendDefinition.DEFAULT_API_VERSION;
		return URI.create(base + "/openai/deployments/" + UriUtils.encodePathSegment(deployment, StandardCharsets.UTF_8)
				+ "/" + operation + "?api-version=" + UriUtils.encodeQueryParam(apiVersion, StandardCharsets.UTF_8));
	}

	/** Whether the backend reads the model (or Azure deployment) from the body rather than from the path. */
	private static boolean modelInBody(BackendDefinition backend, LlmRequest request) {
		return backend.type() == BackendType.OPENAI || backend.azureForm() == AzureForm.V1
				|| request.operation().isResponses();
	}

	/**
	 * The body to send to {@code backend}: the client's bytes unchanged unless the backend needs another
	 * {@code model} value (OpenAI form, Azure v1 form and Azure Responses: the deployment goes in the body), or the request streams and the usage chunk must be asked for
	 * ({@code stream_options.include_usage}) so the stream can be charged exactly; only those fields differ.
	 */
	public byte[] body(BackendDefinition backend, LlmRequest request) {
		if (request.target() != null) {
			// An operation on a stored response: the client's (usually empty) body as it came.
			return request.bodyBytes();
		}
		String model = modelInBody(backend, request) ? backend.modelAtBackend(request.model()) : null;
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
