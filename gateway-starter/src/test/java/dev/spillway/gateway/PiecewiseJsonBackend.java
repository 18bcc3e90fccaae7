package dev.spillway.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An Azure-form backend whose JSON answers arrive as large real ones do: in many small pieces, each flushed on its
 * own, with pauses between some of them, so the gateway reads them in many network buffers. What the answer says
 * and how it is sent is chosen per request, in its {@code user} field ({@link Answer#user()}): the {@code usage} it
 * reports (unlike anything a tokenizer would count, so a test tells a charge taken from the body from one the
 * gateway guessed), the framing ({@code Content-Length} or chunked), the size of the pieces, and whether the body
 * is held open — after all of it (the terminating chunk never comes) or after a few pieces — until the gateway
 * goes away. The deployment {@code throttled} answers every request 429, in pieces too. Embeddings answers carry
 * 1,536 floats per input.
 */
public final class PiecewiseJsonBackend implements AutoCloseable {

	private static final JsonMapper json = JsonMapper.builder().build();

	private final DisposableServer server;

	private final AtomicInteger heldAnswersCancelled = new AtomicInteger();

	private PiecewiseJsonBackend() {
		this.server = HttpServer.create()
			.host("127.0.0.1")
			.port(0)
			.route(routes -> routes
				.post("/openai/deployments/{deployment}/chat/completions",
						(req, res) -> answer(req, res, req.param("deployment"), false))
				.post("/openai/deployments/{deployment}/embeddings",
						(req, res) -> answer(req, res, req.param("deployment"), true)))
			.bindNow();
	}

	public static PiecewiseJsonBackend start() {
		return new PiecewiseJsonBackend();
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + server.port();
	}

	/** Held answers whose connection the gateway closed (it cancelled the backend call). */
	public int heldAnswersCancelled() {
		return heldAnswersCancelled.get();
	}

	@Override
	public void close() {
		server.disposeNow(Duration.ofSeconds(5));
	}

	private Mono<Void> answer(HttpServerRequest req, HttpServerResponse res, String deployment, boolean embeddings) {
		return req.receive().aggregate().asString(StandardCharsets.UTF_8).flatMap(text -> {
			JsonNode request = json.readTree(text);
			Answer answer = Answer.parse(request.path("user").asString(""));
			if ("throttled".equals(deployment)) {
				ObjectNode error = json.createObjectNode();
				error.putObject("error").put("code", "429").put("message", "Requests to the ChatCompletions_Create "
						+ "Operation have exceeded token rate limit. Please retry after 1 second. " + "x".repeat(3000));
				res.header("retry-after-ms", "50");
				return write(res, HttpResponseStatus.TOO_MANY_REQUESTS, json.writeValueAsBytes(error),
						new Answer(0, 0, false, 512, 0, -1));
			}
			ObjectNode body = embeddings ? embeddings(request, answer.prompt()) : chat(answer);
			return write(res, HttpResponseStatus.OK, json.writeValueAsBytes(body), answer);
		});
	}

	private Mono<Void> write(HttpServerResponse res, HttpResponseStatus status, byte[] body, Answer answer) {
		res.status(status).header("Content-Type", "application/json");
		if (answer.sized()) {
			res.header("Content-Length", Integer.toString(body.length));
		}
		else {
			res.chunkedTransfer(true);
		}
		List<byte[]> pieces = new ArrayList<>();
		for (int at = 0; at < body.length; at += answer.piece()) {
			byte[] piece = new byte[Math.min(answer.piece(), body.length - at)];
			System.arraycopy(body, at, piece, 0, piece.length);
			pieces.add(piece);
		}
		AtomicInteger index = new AtomicInteger();
		Flux<byte[]> paced = Flux.fromIterable(pieces)
			.concatMap(piece -> index.incrementAndGet() % 4 == 0 && answer.pauseMicros() > 0
					? Mono.delay(Duration.ofNanos(answer.pauseMicros() * 1000L)).thenReturn(piece) : Mono.just(piece));
		if (answer.holdAfter() >= 0) {
			paced = paced.take(answer.holdAfter())
				.concatWith(Flux.<byte[]>never().doOnCancel(heldAnswersCancelled::incrementAndGet));
		}
		return res.send(paced.map(Unpooled::wrappedBuffer), piece -> true).then();
	}

	private static ObjectNode chat(Answer answer) {
		StringBuilder text = new StringBuilder();
		for (int i = 0; i < answer.completion(); i++) {
			text.append(i == 0 ? "" : " ").append("word").append(i % 97);
		}
		ObjectNode node = json.createObjectNode();
		node.put("id", "chatcmpl-piecewise").put("object", "chat.completion").put("created", 1_700_000_000L)
			.put("model", "gpt-4o-2024-08-06");
		ObjectNode choice = node.putArray("choices").addObject();
		choice.put("index", 0).put("finish_reason", "stop");
		choice.putObject("message").put("role", "assistant").put("content", text.toString());
		node.putObject("usage")
			.put("prompt_tokens", answer.prompt())
			.put("completion_tokens", answer.completion())
			.put("total_tokens", answer.prompt() + answer.completion());
		return node;
	}

	private static ObjectNode embeddings(JsonNode request, long prompt) {
		int inputs = request.path("input").isArray() ? request.path("input").size() : 1;
		ObjectNode node = json.createObjectNode().put("object", "list");
		ArrayNode data = node.putArray("data");
		for (int i = 0; i < inputs; i++) {
			ArrayNode vector = data.addObject().put("object", "embedding").put("index", i).putArray("embedding");
			for (int d = 0; d < 1536; d++) {
				vector.add(((d * 7919 + i) % 1000) / 1000.0 - 0.5);
			}
		}
		node.put("model", "text-embedding-3-small");
		node.putObject("usage").put("prompt_tokens", prompt).put("total_tokens", prompt);
		return node;
	}

	/**
	 * How to answer one request.
	 *
	 * @param prompt the usage's prompt tokens
	 * @param completion the usage's completion tokens, also the number of words of a chat answer
	 * @param sized whether the answer has a {@code Content-Length} (else it is chunked)
	 * @param piece bytes per flushed piece
	 * @param pauseMicros pause after every fourth piece
	 * @param holdAfter after how many pieces the body is held open until the gateway leaves; -1 never,
	 * {@link Integer#MAX_VALUE} after all of them (a chunked answer whose terminating chunk never comes)
	 */
	public record Answer(long prompt, long completion, boolean sized, int piece, int pauseMicros, int holdAfter) {

		public static Answer of(long prompt, long completion) {
			return new Answer(prompt, completion, false, 512, 0, -1);
		}

		public Answer sized(boolean sized) {
			return new Answer(prompt, completion, sized, piece, pauseMicros, holdAfter);
		}

		public Answer pieces(int piece, int pauseMicros) {
			return new Answer(prompt, completion, sized, piece, pauseMicros, holdAfter);
		}

		public Answer holdAfter(int pieces) {
			return new Answer(prompt, completion, sized, piece, pauseMicros, pieces);
		}

		/** The value of the request's {@code user} field that asks for this answer. */
		public String user() {
			return prompt + ";" + completion + ";" + sized + ";" + piece + ";" + pauseMicros + ";" + holdAfter;
		}

		static Answer parse(String user) {
			String[] parts = user.split(";");
			return new Answer(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Boolean.parseBoolean(parts[2]),
					Integer.parseInt(parts[3]), Integer.parseInt(parts[4]), Integer.parseInt(parts[5]));
		}

	}

}
