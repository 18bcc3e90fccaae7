package dev.spillway.gateway.request;

import com.knuddels.jtokkit.api.Encoding;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.wire.LlmOperation;

/**
 * A client request as parsed once on the way in. The body is kept so every attempt can send it again.
 *
 * @param operation what the client asked for
 * @param azureForm whether the client used the Azure path form ({@code /openai/deployments/{name}/...})
 * @param model the deployment name from an Azure path, else the body's {@code model}; may be {@code null}
 * @param apiVersion the client's {@code api-version} query value, or {@code null}
 * @param stream whether the client asked for a streamed answer
 * @param clientWantsUsage whether the client asked for the usage chunk ({@code stream_options.include_usage})
 * @param body the parsed JSON body (never modified; copy before changing)
 * @param bodyBytes the body exactly as received
 * @param encoding the tokenizer encoding for this request's model
 * @param promptTokens the input's tokens, counted with {@code encoding}
 * @param completionReservation the completion tokens the request may use ({@code max_tokens} × {@code n}, or the
 * configured default)
 * @param target for an operation on a stored object (a response by id), its path under the API base with the
 * client's query, e.g. {@code responses/resp_1/input_items?limit=5}; else {@code null}
 */
public record LlmRequest(LlmOperation operation, boolean azureForm, String model, String apiVersion, boolean stream,
		boolean clientWantsUsage, ObjectNode body, byte[] bodyBytes, Encoding encoding, long promptTokens,
		long completionReservation, String target) {

	/** A request that creates (no {@link #target}). */
	public LlmRequest(LlmOperation operation, boolean azureForm, String model, String apiVersion, boolean stream,
			boolean clientWantsUsage, ObjectNode body, byte[] bodyBytes, Encoding encoding, long promptTokens,
			long completionReservation) {
		this(operation, azureForm, model, apiVersion, stream, clientWantsUsage, body, bodyBytes, encoding, promptTokens,
				completionReservation, null);
	}

	/** The same request for another model: the body's {@code model} changes too, when it has one. */
	public LlmRequest withModel(String newModel) {
		ObjectNode newBody = body;
		byte[] newBytes = bodyBytes;
		if (body.has("model")) {
			newBody = body.deepCopy();
			newBody.put("model", newModel);
			newBytes = newBody.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
		}
		return new LlmRequest(operation, azureForm, newModel, apiVersion, stream, clientWantsUsage, newBody, newBytes,
				encoding, promptTokens, completionReservation, target);
	}

	/** The same request with another body (the request that continues a broken stream). */
	public LlmRequest withBody(ObjectNode newBody) {
		return new LlmRequest(operation, azureForm, model, apiVersion, stream, clientWantsUsage, newBody,
				newBody.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), encoding, promptTokens,
				completionReservation, target);
	}

	/** Tokens the request may use in all: its prompt and its completion reservation. */
	public long estimatedTokens() {
		return promptTokens + completionReservation;
	}

}
