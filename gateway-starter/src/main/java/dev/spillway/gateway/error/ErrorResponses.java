package dev.spillway.gateway.error;

import java.nio.charset.StandardCharsets;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.OpenAiHeaders;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

/** The one place that turns an {@link OpenAiError} into bytes, either as a JSON response or as an SSE error event. */
public final class ErrorResponses {

	private static final JsonMapper json = JsonMapper.builder().build();

	private ErrorResponses() {
	}

	/** Writes {@code error} as the complete response, replacing whatever headers a body would have carried. */
	public static Mono<Void> write(ServerWebExchange exchange, OpenAiError error) {
		ServerHttpResponse response = exchange.getResponse();
		if (response.isCommitted()) {
			return Mono.empty();
		}
		byte[] bytes = body(error);
		response.setStatusCode(error.status());
		HttpHeaders headers = response.getHeaders();
		headers.remove(HttpHeaders.CONTENT_ENCODING);
		headers.remove(HttpHeaders.TRANSFER_ENCODING);
		headers.setContentType(MediaType.APPLICATION_JSON);
		headers.setContentLength(bytes.length);
		return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
	}

	/**
	 * Tells the client when to come back: {@code Retry-After} in whole seconds, rounded up, and {@code retry-after-ms}
	 * (OpenAI's SDKs prefer it). Returns the seconds.
	 */
	public static long retryAfter(HttpHeaders headers, long millis) {
		long atLeastOne = Math.max(1, millis);
		long seconds = Math.max(1, (atLeastOne + 999) / 1000);
		headers.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
		headers.set(OpenAiHeaders.RETRY_AFTER_MS, Long.toString(atLeastOne));
		return seconds;
	}

	/** The JSON body {@code {"error":{...}}}. */
	public static byte[] body(OpenAiError error) {
		return json.writeValueAsBytes(node(error));
	}

	/** The error as one Server-Sent Event, {@code data: {"error":{...}}}, the way OpenAI ends a failed stream. */
	public static DataBuffer event(DataBufferFactory factory, OpenAiError error) {
		String event = "data: " + json.writeValueAsString(node(error)) + "\n\n";
		return factory.wrap(event.getBytes(StandardCharsets.UTF_8));
	}

	private static ObjectNode node(OpenAiError error) {
		ObjectNode root = json.createObjectNode();
		ObjectNode body = root.putObject("error");
		body.put("message", error.message()).put("type", error.type());
		if (error.param() == null) {
			body.putNull("param");
		}
		else {
			body.put("param", error.param());
		}
		body.put("code", error.code());
		return root;
	}

}
