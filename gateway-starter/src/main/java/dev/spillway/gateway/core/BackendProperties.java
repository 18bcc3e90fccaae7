package dev.spillway.gateway.core;

import java.net.URI;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/** One upstream deployment: where it is, how to authenticate, and how to name the model there. */
public class BackendProperties {

	/** Identifier of the backend within its pool, used in headers, metrics, logs and shared state. */
	@NotBlank
	@Pattern(regexp = "[A-Za-z0-9._-]+", message = "may contain only letters, digits, '.', '_' and '-'")
	private String id;

	/**
	 * Base URL. For {@code azure}: the resource endpoint, e.g. {@code https://my.openai.azure.com}. For
	 * {@code openai}: the API base including its version path, e.g. {@code https://api.openai.com/v1}.
	 */
	@NotNull
	private URI url;

	/** Wire form the backend speaks. */
	@NotNull
	private BackendType type = BackendType.OPENAI;

	/** Azure deployment name at this backend. Default: the deployment or model the client asked for. */
	private String deployment;

	/** OpenAI {@code model} value to send to this backend. Default: the model the client asked for. */
	private String model;

	/** Azure {@code api-version} query value. Default: the client's, else {@value #DEFAULT_API_VERSION}. */
	private String apiVersion;

	/**
	 * {@code azure}: which Azure path form the backend speaks. {@code legacy}:
	 * {@code /openai/deployments/{deployment}/...?api-version=...} (and {@code /openai/responses?api-version=...}
	 * for the Responses API); {@code v1}: {@code /openai/v1/...} with the deployment in the body's {@code model}
	 * and no {@code api-version}.
	 */
	private AzureForm azureForm = AzureForm.LEGACY;

	/**
	 * {@code azure} in the legacy form: the {@code api-version} of Responses API calls
	 * ({@code /openai/responses?api-version=...}); the chat versions do not serve it.
	 */
	private String responsesApiVersion = DEFAULT_RESPONSES_API_VERSION;

	/**
	 * Whether the backend serves the Responses API's background mode ({@code background: true}); requests asking
	 * for it go only to backends that do, and get 400 from a pool with none.
	 */
	private boolean background;

	/** The backend's key. Never returned to clients or logged. */
	private String apiKey;

	/** Header that carries {@link #apiKey}. Default: {@code api-key} for azure, bearer for openai. */
	private AuthHeader authHeader;

	/**
	 * Whether streamed requests to this backend ask for a usage chunk ({@code stream_options.include_usage}), so
	 * streamed tokens are charged exactly. Turn off for servers (or Azure api-versions before 2024-09-01) that
	 * reject the option; the streamed text is then counted with the tokenizer.
	 */
	private boolean streamUsage = true;

	public AzureForm getAzureForm() {
		return azureForm;
	}

	public void setAzureForm(AzureForm azureForm) {
		this.azureForm = azureForm;
	}

	public String getResponsesApiVersion() {
		return responsesApiVersion;
	}

	public void setResponsesApiVersion(String responsesApiVersion) {
		this.responsesApiVersion = responsesApiVersion;
	}

	public boolean isBackground() {
		return background;
	}

	public void setBackground(boolean background) {
		this.background = background;
	}

	public boolean isStreamUsage() {
		return streamUsage;
	}

	public void setStreamUsage(boolean streamUsage) {
		this.streamUsage = streamUsage;
	}

	/** Priority group; 1 is tried first, then 2, and so on. */
	@Min(0)
	private int priority = 1;

	/** Relative share of traffic within the priority group. */
	@Min(1)
	private int weight = 1;

	/**
	 * Largest request (prompt plus reserved completion, in tokens) this backend can ever take, such as a PTU
	 * deployment's tokens per minute. A larger request skips it at once. Unset: learned from the backend's
	 * {@code x-ratelimit-limit-tokens}, or from a 429 to a request it reported room for.
	 */
	@Min(1)
	private Long maxRequestTokens;

	public static final String DEFAULT_API_VERSION = "2024-10-21";

	/** The Responses API {@code api-version} of legacy-form Azure backends (the first GA-era version serving it). */
	public static final String DEFAULT_RESPONSES_API_VERSION = "2025-04-01-preview";

	public Long getMaxRequestTokens() {
		return maxRequestTokens;
	}

	public void setMaxRequestTokens(Long maxRequestTokens) {
		this.maxRequestTokens = maxRequestTokens;
	}

	@AssertTrue(message = "url must be an absolute http or https URL")
	public boolean isUrlHttp() {
		return url == null || ("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme()))
				&& url.getHost() != null;
	}

	public String getId() {
		return id;
	}

	public void setId(String id) {
		this.id = id;
	}

	public URI getUrl() {
		return url;
	}

	public void setUrl(URI url) {
		this.url = url;
	}

	public BackendType getType() {
		return type;
	}

	public void setType(BackendType type) {
		this.type = type;
	}

	public String getDeployment() {
		return deployment;
	}

	public void setDeployment(String deployment) {
		this.deployment = deployment;
	}

	public String getModel() {
		return model;
	}

	public void setModel(String model) {
		this.model = model;
	}

	public String getApiVersion() {
		return apiVersion;
	}

	public void setApiVersion(String apiVersion) {
		this.apiVersion = apiVersion;
	}

	public String getApiKey() {
		return apiKey;
	}

	public void setApiKey(String apiKey) {
		this.apiKey = apiKey;
	}

	public AuthHeader getAuthHeader() {
		return authHeader;
	}

	public void setAuthHeader(AuthHeader authHeader) {
		this.authHeader = authHeader;
	}

	public int getPriority() {
		return priority;
	}

	public void setPriority(int priority) {
		this.priority = priority;
	}

	public int getWeight() {
		return weight;
	}

	public void setWeight(int weight) {
		this.weight = weight;
	}

	@Override
	public String toString() {
		return "Backend[" + id + " " + url + "]";
	}

	/** The wire form a backend speaks. */
	public enum BackendType {

		/** {@code /openai/deployments/{deployment}/...?api-version=...}. */
		AZURE,

		/** {@code {url}/chat/completions} with {@code model} in the body. */
		OPENAI

	}

	/** The path form an Azure backend speaks. */
	public enum AzureForm {

		/** {@code /openai/deployments/{deployment}/...?api-version=...}; Responses at {@code /openai/responses}. */
		LEGACY,

		/** {@code /openai/v1/...}, the deployment in the body's {@code model}, no {@code api-version}. */
		V1

	}

	/** Where a backend's key is sent. */
	public enum AuthHeader {

		/** {@code api-key: <key>}, as Azure OpenAI expects. */
		API_KEY,

		/** {@code Authorization: Bearer <key>}, as OpenAI and most compatible servers expect. */
		BEARER

	}

}
