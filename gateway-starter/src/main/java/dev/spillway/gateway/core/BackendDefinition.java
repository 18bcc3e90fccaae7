package dev.spillway.gateway.core;

import java.net.URI;

import dev.spillway.gateway.core.BackendProperties.AuthHeader;
import dev.spillway.gateway.core.BackendProperties.AzureForm;
import dev.spillway.gateway.core.BackendProperties.BackendType;

/**
 * One backend of a pool as the runtime knows it: immutable, built once from {@link BackendProperties}.
 *
 * @param pool the pool it belongs to
 * @param id its id within the pool
 * @param url its base URL
 * @param type the wire form it speaks
 * @param deployment the Azure deployment, or {@code null} for the name the client asked for
 * @param model the OpenAI-form model, or {@code null} for the name the client asked for
 * @param apiVersion the Azure {@code api-version}, or {@code null} for the client's (else the default)
 * @param apiKey its key, or {@code null}
 * @param authHeader where its key goes
 * @param streamUsage whether streamed requests ask it for a usage chunk
 * @param priority its priority group (lower first)
 * @param weight its share within the group
 * @param maxRequestTokens the largest request it can ever take, or -1 when not configured
 * @param azureForm the Azure path form it speaks (Azure backends only)
 * @param responsesApiVersion the Azure {@code api-version} for the Responses API in the legacy form
 * @param background whether it serves the Responses API's background mode
 */
public record BackendDefinition(String pool, String id, URI url, BackendType type, String deployment, String model,
		String apiVersion, String apiKey, AuthHeader authHeader, boolean streamUsage, int priority, int weight,
		long maxRequestTokens, AzureForm azureForm, String responsesApiVersion, boolean background) {

	/** A backend in the legacy Azure form, with the default Responses {@code api-version}. */
	public BackendDefinition(String pool, String id, URI url, BackendType type, String deployment, String model,
			String apiVersion, String apiKey, AuthHeader authHeader, boolean streamUsage, int priority, int weight,
			long maxRequestTokens) {
		this(pool, id, url, type, deployment, model, apiVersion, apiKey, authHeader, streamUsage, priority, weight,
				maxRequestTokens, AzureForm.LEGACY, BackendProperties.DEFAULT_RESPONSES_API_VERSION, false);
	}

	/** The Azure {@code api-version} used when neither the backend nor the client names one. */
	public static final String DEFAULT_API_VERSION = BackendProperties.DEFAULT_API_VERSION;

	static BackendDefinition of(String pool, BackendProperties backend) {
		AuthHeader auth = backend.getAuthHeader() != null ? backend.getAuthHeader()
				: backend.getType() == BackendType.AZURE ? AuthHeader.API_KEY : AuthHeader.BEARER;
		return new BackendDefinition(pool, backend.getId(), backend.getUrl(), backend.getType(), backend.getDeployment(),
				backend.getModel(), backend.getApiVersion(), backend.getApiKey(), auth, backend.isStreamUsage(),
				backend.getPriority(), backend.getWeight(),
				backend.getMaxRequestTokens() == null ? -1 : backend.getMaxRequestTokens(), backend.getAzureForm(),
				backend.getResponsesApiVersion(), backend.isBackground());
	}

	/**
	 * The name the request reaches this backend under: its fixed deployment (Azure) or model (OpenAI form), else
	 * the name the client asked for.
	 */
	public String modelAtBackend(String requested) {
		String fixed = type == BackendType.AZURE ? deployment : model;
		return fixed != null ? fixed : requested;
	}

	@Override
	public String toString() {
		// Never the key.
		return "Backend[" + pool + "/" + id + " " + url + "]";
	}

}
