package dev.spillway.gateway.request;

import tools.jackson.databind.node.ObjectNode;

/**
 * A client request as parsed once on the way in. The body is kept so every attempt (and every later issue's
 * retry) can send it again.
 *
 * @param operation what the client asked for
 * @param azureForm whether the client used the Azure path form ({@code /openai/deployments/{name}/...})
 * @param model the deployment name from an Azure path, else the body's {@code model}; may be {@code null}
 * @param apiVersion the client's {@code api-version} query value, or {@code null}
 * @param stream whether the client asked for a streamed answer
 * @param body the parsed JSON body (never modified; copy before changing)
 * @param bodyBytes the body exactly as received
 * @param estimatedTokens tokens the request may use (prompt plus completion reservation), for routing decisions
 */
public record LlmRequest(LlmOperation operation, boolean azureForm, String model, String apiVersion, boolean stream,
		ObjectNode body, byte[] bodyBytes, long estimatedTokens) {

}
