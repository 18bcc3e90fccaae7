package dev.spillway.gateway.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;

/**
 * Replays a kept answer (the cache, Idempotency-Key) the way the client asked for it, whichever way it was stored: the stored JSON (with a
 * fresh {@code id} and {@code created}) to a client that does not stream; to a streaming client, well-formed
 * Server-Sent Events — a role chunk, the content in several chunks, a finish chunk, a usage chunk if the client
 * asked for usage, and {@code data: [DONE]}.
 */
public final class StoredAnswers {

	/** Content characters per replayed chunk (about a few tokens, as a live stream sends them). */
	static final int CHUNK_CHARACTERS = 16;

	private final JsonMapper json;

	public StoredAnswers(JsonMapper json) {
		this.json = json;
	}

	/** Writes events as a Server-Sent Events answer, each flushed on its own. */
	public static Mono<Void> writeEvents(ServerHttpResponse response, List<byte[]> events) {
		response.getHeaders().setContentType(MediaType.TEXT_EVENT_STREAM);
		DataBufferFactory buffers = response.bufferFactory();
		return response.writeAndFlushWith(Flux.fromIterable(events).map(event -> Mono.just(buffers.wrap(event))));
	}

	/** Writes a JSON answer. */
	public static Mono<Void> writeJson(ServerHttpResponse response, byte[] body) {
		response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
		response.getHeaders().setContentLength(body.length);
		return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
	}

	public byte[] asJson(StoredAnswer entry) {
		long created = System.currentTimeMillis() / 1000;
		String id = newId();
		if (entry.json() != null) {
			ObjectNode stored = (ObjectNode) json.readTree(entry.json());
			stored.put("id", id).put("created", created);
			return json.writeValueAsBytes(stored);
		}
		ObjectNode answer = json.createObjectNode();
		answer.put("id", id).put("object", "chat.completion").put("created", created).put("model", entry.model());
		ObjectNode choice = answer.putArray("choices").addObject();
		choice.put("index", 0);
		choice.putObject("message").put("role", "assistant").put("content", entry.content());
		choice.put("finish_reason", entry.finishReason());
		usage(answer, entry);
		return json.writeValueAsBytes(answer);
	}

	public List<byte[]> asEvents(StoredAnswer entry, boolean includeUsage) {
		long created = System.currentTimeMillis() / 1000;
		String id = newId();
		List<byte[]> events = new ArrayList<>();
		ObjectNode role = chunk(id, created, entry.model());
		ObjectNode roleChoice = role.putArray("choices").addObject().put("index", 0);
		roleChoice.putObject("delta").put("role", "assistant").put("content", "");
		roleChoice.putNull("finish_reason");
		events.add(event(role));
		String content = entry.content() == null ? "" : entry.content();
		for (int start = 0; start < content.length();) {
			int end = Math.min(content.length(), start + CHUNK_CHARACTERS);
			if (end < content.length() && Character.isLowSurrogate(content.charAt(end))) {
				end++;
			}
			ObjectNode piece = chunk(id, created, entry.model());
			ObjectNode choice = piece.putArray("choices").addObject().put("index", 0);
			choice.putObject("delta").put("content", content.substring(start, end));
			choice.putNull("finish_reason");
			events.add(event(piece));
			start = end;
		}
		ObjectNode finish = chunk(id, created, entry.model());
		ObjectNode finishChoice = finish.putArray("choices").addObject().put("index", 0);
		finishChoice.putObject("delta");
		finishChoice.put("finish_reason", entry.finishReason() == null ? "stop" : entry.finishReason());
		events.add(event(finish));
		if (includeUsage) {
			ObjectNode usage = chunk(id, created, entry.model());
			usage.putArray("choices");
			usage(usage, entry);
			events.add(event(usage));
		}
		events.add("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
		return events;
	}

	private ObjectNode chunk(String id, long created, String model) {
		return json.createObjectNode()
			.put("id", id)
			.put("object", "chat.completion.chunk")
			.put("created", created)
			.put("model", model);
	}

	private static void usage(ObjectNode node, StoredAnswer entry) {
		node.putObject("usage")
			.put("prompt_tokens", entry.promptTokens())
			.put("completion_tokens", entry.completionTokens())
			.put("total_tokens", entry.promptTokens() + entry.completionTokens());
	}

	private byte[] event(ObjectNode chunk) {
		return ("data: " + json.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8);
	}

	private static String newId() {
		return "chatcmpl-cache-" + UUID.randomUUID().toString().replace("-", "");
	}

}
