package dev.spillway.mock;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.resources.LoopResources;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A simulated Azure OpenAI resource that also speaks the OpenAI form. It serves
 * {@code /openai/deployments/{deployment}/chat/completions|embeddings} and
 * {@code /v1/chat/completions|embeddings|responses}, Azure v1's {@code /openai/v1/...} and legacy Azure's
 * {@code /openai/responses?api-version=...} (deployment = body {@code model}), streams answers chunk by chunk (typed
 * {@code response.*} events for Responses) at the deployment's pace, enforces per-minute token and request budgets with real 429 answers
 * ({@code retry-after}, {@code retry-after-ms}, {@code x-ratelimit-*}), and records every request.
 * <p>
 * Tests inject faults with the request header {@value #FAULT_HEADER}, a {@code ;}-separated list of
 * {@code status=503}, {@code header-delay-ms=200}, {@code reset-after=3} (events, then a TCP reset),
 * {@code stall-after=2} (events, then silence), {@code reset-before-headers=1} (a TCP reset instead of an answer),
 * {@code event-delay-ms=200} (pause between events), {@code prompt-filter=1} (a chat stream opens with Azure's
 * prompt-filter chunk: no choices, empty id and model), {@code incomplete=1} (a Responses answer that ran out of
 * output tokens: {@code response.incomplete}),
 * {@code quota=1} (429 {@code insufficient_quota}), {@code context=1} (400 {@code context_length_exceeded}),
 * {@code impossible-hint-ms=1} (the retry hint given to a request larger than the whole per-minute budget; one
 * minute by default, like Azure). {@link #faults(String, String)} sets standing faults for one
 * deployment the same way.
 */
public final class MockOpenAiServer implements AutoCloseable {

	/** Request header that injects faults, see the class description. */
	public static final String FAULT_HEADER = "x-mock-fault";

	/** The longest completion the simulated model writes, as gpt-4o's 16,384 output tokens. */
	public static final int MAX_COMPLETION_TOKENS = 16_384;

	private static final Logger log = LoggerFactory.getLogger(MockOpenAiServer.class);

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final String[] WORDS = ("Spillway keeps every answer flowing while the busy deployments rest and "
			+ "the quiet ones take their turn so nobody waits longer than they must for a reply").split(" ");

	private final Map<String, DeploymentState> deployments = new ConcurrentHashMap<>();

	private final boolean acceptAnyDeployment;

	private final Queue recorded = new Queue();

	private final AtomicInteger openStreams = new AtomicInteger();

	private final AtomicInteger cancelledStreams = new AtomicInteger();

	private final AtomicLong sequence = new AtomicLong();

	/** Responses this resource stored, by id (the oldest forgotten beyond {@link #MAX_STORED}). */
	private final Map<String, StoredResponse> responses = java.util.Collections
		.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, false) {
			@Override
			protected boolean removeEldestEntry(Map.Entry<String, StoredResponse> eldest) {
				return size() > MAX_STORED;
			}
		});

	private static final int MAX_STORED = 10_000;

	/** Event loops of its own: Reactor Netty's global ones are disposed whenever a Spring context in the JVM closes. */
	private final LoopResources loops = LoopResources.create("mock-openai", 2, true);

	private final DisposableServer server;

	private MockOpenAiServer(String host, int port, Collection<MockDeployment> configured, boolean acceptAnyDeployment) {
		configured.forEach(d -> deployments.put(d.name(), new DeploymentState(d)));
		this.acceptAnyDeployment = acceptAnyDeployment;
		this.server = HttpServer.create()
			.runOn(loops)
			.host(host)
			.port(port)
			.route(routes -> routes
				.post("/openai/deployments/{deployment}/chat/completions",
						(req, res) -> handle(req, res, req.param("deployment"), Operation.CHAT))
				.post("/openai/deployments/{deployment}/embeddings",
						(req, res) -> handle(req, res, req.param("deployment"), Operation.EMBEDDINGS))
				.post("/v1/chat/completions", (req, res) -> handle(req, res, null, Operation.CHAT))
				.post("/v1/embeddings", (req, res) -> handle(req, res, null, Operation.EMBEDDINGS))
				.post("/v1/responses", (req, res) -> handle(req, res, null, Operation.RESPONSES))
				.post("/openai/v1/chat/completions", (req, res) -> handle(req, res, null, Operation.CHAT))
				.post("/openai/v1/embeddings", (req, res) -> handle(req, res, null, Operation.EMBEDDINGS))
				.post("/openai/v1/responses", (req, res) -> handle(req, res, null, Operation.RESPONSES))
				.get("/v1/responses/{id}", (req, res) -> stored(req, res, Stored.GET))
				.get("/openai/v1/responses/{id}", (req, res) -> stored(req, res, Stored.GET))
				.get("/openai/responses/{id}", (req, res) -> stored(req, res, Stored.GET))
				.delete("/v1/responses/{id}", (req, res) -> stored(req, res, Stored.DELETE))
				.delete("/openai/v1/responses/{id}", (req, res) -> stored(req, res, Stored.DELETE))
				.delete("/openai/responses/{id}", (req, res) -> stored(req, res, Stored.DELETE))
				.post("/v1/responses/{id}/cancel", (req, res) -> stored(req, res, Stored.CANCEL))
				.post("/openai/v1/responses/{id}/cancel", (req, res) -> stored(req, res, Stored.CANCEL))
				.post("/openai/responses/{id}/cancel", (req, res) -> stored(req, res, Stored.CANCEL))
				.get("/v1/responses/{id}/input_items", (req, res) -> stored(req, res, Stored.INPUT_ITEMS))
				.get("/openai/v1/responses/{id}/input_items", (req, res) -> stored(req, res, Stored.INPUT_ITEMS))
				.get("/openai/responses/{id}/input_items", (req, res) -> stored(req, res, Stored.INPUT_ITEMS))
				.post("/openai/responses", (req, res) -> req.uri().contains("api-version=") ? handle(req, res, null, Operation.RESPONSES)
								: error(res, HttpResponseStatus.BAD_REQUEST, "invalid_request_error",
										"Missing api-version query parameter.")))
			.bindNow();
	}

	/** Starts a mock on a free loopback port serving only the given deployments. */
	public static MockOpenAiServer start(MockDeployment... deployments) {
		return new MockOpenAiServer("127.0.0.1", 0, List.of(deployments), false);
	}

	/** Starts a mock on a free loopback port that serves any deployment name without limits. */
	public static MockOpenAiServer startPermissive() {
		return new MockOpenAiServer("127.0.0.1", 0, List.of(), true);
	}

	/** Starts a mock on the given host and port (0 = free) serving only the given deployments. */
	public static MockOpenAiServer start(String host, int port, Collection<MockDeployment> deployments) {
		return new MockOpenAiServer(host, port, deployments, false);
	}

	public int port() {
		return server.port();
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + server.port();
	}

	/** Every request received so far, oldest first (the last 10,000). */
	public List<RecordedRequest> requests() {
		return recorded.snapshot();
	}

	/** Requests received for one deployment. */
	public long requestCount(String deployment) {
		return recorded.snapshot().stream().filter(r -> deployment.equals(r.deployment())).count();
	}

	/** Empties a deployment's token budget, as if it had just been busy; it refills from now on. */
	public void useUpTokens(String deployment) {
		deployments.get(deployment).tokens.takeAll();
	}

	/** 429s one deployment answered for its rate limits or a throttle (not for its quota) since the last reset. */
	public long throttledCount(String deployment) {
		DeploymentState state = deployments.get(deployment);
		return state == null ? 0 : state.refused.get();
	}

	/** Streams currently being written. */
	public int openStreams() {
		return openStreams.get();
	}

	/** Streams that ended because the client (the gateway) went away before the answer was complete. */
	public int cancelledStreams() {
		return cancelledStreams.get();
	}

	/** Forgets everything: recorded requests, counters, faults and throttles; budgets are full again. */
	public void reset() {
		deployments.replaceAll((name, state) -> new DeploymentState(state.config));
		clearRecords();
	}

	/** Forgets recorded requests and counters; budgets and throttles stay. */
	public void clearRecords() {
		recorded.clear();
		cancelledStreams.set(0);
	}

	/** Applies {@code faults} (header syntax) to every request for {@code deployment}; {@code null} clears them. */
	public void faults(String deployment, String faults) {
		state(deployment).faults = faults;
	}

	/**
	 * Makes {@code deployment}'s answers depend on the question ({@code true}: the first word is drawn from a hash
	 * of the request's messages or input) or be the same for every question ({@code false}, the default).
	 */
	public void answersVary(String deployment, boolean vary) {
		state(deployment).answersVary = vary;
	}

	/** Answers every request for {@code deployment} with 429 until {@code duration} has passed. */
	public void throttle(String deployment, Duration duration) {
		state(deployment).throttledUntilNanos = System.nanoTime() + duration.toNanos();
	}

	/**
	 * Gates the next stream {@code deployment} sends: it writes one event per {@link StreamGate#release()}, so a test
	 * can tell that a client received event k before event k+1 existed.
	 */
	public StreamGate gateNextStream(String deployment) {
		StreamGate gate = new StreamGate();
		state(deployment).gate = gate;
		return gate;
	}

	@Override
	public void close() {
		server.disposeNow(Duration.ofSeconds(5));
		// No quiet period (Reactor Netty waits 2 s by default): the server is disposed, nothing runs late on its loops.
		loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(6));
	}

	private DeploymentState state(String name) {
		DeploymentState state = deployments.get(name);
		if (state == null && acceptAnyDeployment) {
			state = deployments.computeIfAbsent(name, n -> new DeploymentState(MockDeployment.unlimited(n)));
		}
		if (state == null) {
			throw new IllegalArgumentException("Unknown deployment " + name);
		}
		return state;
	}

	/** What a request asks for. */
	private enum Operation {

		CHAT, EMBEDDINGS, RESPONSES

	}

	private Publisher<Void> handle(HttpServerRequest req, HttpServerResponse res, String pathDeployment,
			Operation operation) {
		return req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("").flatMap(body -> {
			JsonNode request;
			try {
				request = json.readTree(body);
			}
			catch (RuntimeException ex) {
				return error(res, HttpResponseStatus.BAD_REQUEST, "invalid_request_error", "Malformed JSON");
			}
			String deploymentName = pathDeployment != null ? pathDeployment : request.path("model").asString("");
			recorded.add(new RecordedRequest(deploymentName, req.method().name(), req.uri(), headers(req), body));
			DeploymentState deployment = deploymentOrNull(deploymentName);
			if (deployment == null) {
				return error(res, HttpResponseStatus.NOT_FOUND, "DeploymentNotFound",
						"The API deployment for this resource does not exist.");
			}
			String standing = deployment.faults;
			String asked = req.requestHeaders().get(FAULT_HEADER);
			Faults faults = Faults.parse(standing == null ? asked : asked == null ? standing : standing + ";" + asked);
			Mono<Void> delay = faults.headerDelayMs > 0 ? Mono.delay(Duration.ofMillis(faults.headerDelayMs)).then()
					: Mono.empty();
			if (faults.resetBeforeHeaders) {
				// SO_LINGER 0: the close is a TCP reset, as from a crashed or overloaded backend.
				return delay.then(Mono.fromRunnable(() -> res.withConnection(connection -> {
					connection.channel().config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
					connection.channel().close();
				})));
			}
			return delay.then(Mono.defer(() -> respond(res, deployment, request, faults, operation)));
		}).then();
	}

	private DeploymentState deploymentOrNull(String name) {
		try {
			return state(name);
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	private Mono<Void> respond(HttpServerResponse res, DeploymentState deployment, JsonNode request, Faults faults,
			Operation operation) {
		boolean embeddings = operation == Operation.EMBEDDINGS;
		if (faults.status > 0) {
			return error(res, HttpResponseStatus.valueOf(faults.status), faults.status < 500 ? "invalid_request_error"
					: "server_error", "Injected failure");
		}
		if (faults.context) {
			return error(res, HttpResponseStatus.BAD_REQUEST, "context_length_exceeded",
					"This model's maximum context length is 8192 tokens.");
		}
		if (faults.quota) {
			return error(res, HttpResponseStatus.TOO_MANY_REQUESTS, "insufficient_quota",
					"You exceeded your current quota, please check your plan and billing details.");
		}
		int promptTokens = Math.max(1, request.toString().length() / 4);
		long askedFor = request.path("max_tokens")
			.asLong(request.path("max_completion_tokens").asLong(request.path("max_output_tokens").asLong(0)));
		if (!embeddings && askedFor > MAX_COMPLETION_TOKENS) {
			// As OpenAI does: a completion longer than the model can write is refused, not written.
			return error(res, HttpResponseStatus.BAD_REQUEST, "invalid_request_error", "max_tokens is too large: "
					+ askedFor + ". This model supports at most " + MAX_COMPLETION_TOKENS + " completion tokens.");
		}
		int completionTokens = embeddings ? 0
				: Math.max(1, request.path("max_tokens").asInt(request.path("max_completion_tokens")
					.asInt(request.path("max_output_tokens").asInt(deployment.config.completionTokens()))));
		if (!deployment.tokens.unlimited() && promptTokens + completionTokens > deployment.tokens.capacity()) {
			// Like Azure: a request larger than the whole per-minute budget is told to come back after a minute
			// (or after the hint a test asks for, to play a backend that answers retry-after-ms: 1).
			return throttled(res, deployment, faults.impossibleHintMs >= 0 ? faults.impossibleHintMs * 1_000_000
					: Duration.ofMinutes(1).toNanos());
		}
		long waitNanos = deployment.admit(promptTokens + completionTokens);
		if (waitNanos > 0) {
			return throttled(res, deployment, waitNanos);
		}
		rateLimitHeaders(res, deployment);
		if (embeddings) {
			return sendJson(res, HttpResponseStatus.OK, embeddingsBody(request, deployment.config.name(), promptTokens));
		}
		String prefix = assistantPrefix(request);
		// A continuation's cap counts only what it writes after the prefix; without one the answer keeps its length.
		int written = prefix != null && askedFor > 0 ? completionTokens + prefix.split(" ").length : completionTokens;
		List<String> pieces = new ArrayList<>();
		for (int i = 0; i < written; i++) {
			pieces.add((i == 0 ? "" : " ") + WORDS[i % WORDS.length]);
		}
		if (deployment.answersVary) {
			String asked = request.path("messages").toString() + request.path("input").toString();
			pieces.set(0, "answer-" + Integer.toHexString(asked.hashCode()));
		}
		pieces = continuing(pieces, prefix);
		completionTokens = pieces.size();
		if (operation == Operation.RESPONSES) {
			String previous = request.path("previous_response_id").asString(null);
			if (previous != null && !responses.containsKey(previous)) {
				return error(res, HttpResponseStatus.NOT_FOUND, "invalid_request_error",
						"Previous response with id '" + previous + "' not found.");
			}
			String responseId = "resp_mock" + port() + "x" + sequence.incrementAndGet();
			String status = faults.incomplete ? "incomplete" : "completed";
			ObjectNode done = responseBody(responseId, deployment.config.name(), status, String.join("", pieces),
					promptTokens, completionTokens);
			List<String> events = responseEvents(responseId, deployment.config.name(), status, pieces, promptTokens);
			boolean background = request.path("background").asBoolean(false);
			StoredResponse stored = new StoredResponse(done, events, request.path("input"), background ? 0 : 2);
			if (request.path("store").asBoolean(true)) {
				responses.put(responseId, stored);
			}
			if (background) {
				return sendJson(res, HttpResponseStatus.OK, stored.current());
			}
			if (!request.path("stream").asBoolean(false)) {
				return sendJson(res, HttpResponseStatus.OK, done);
			}
			return send(res, deployment, faults, events);
		}
		String id = "chatcmpl-mock-" + sequence.incrementAndGet();
		if (!request.path("stream").asBoolean(false)) {
			return sendJson(res, HttpResponseStatus.OK,
					completionBody(id, deployment.config.name(), String.join("", pieces), promptTokens, completionTokens));
		}
		boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
		return stream(res, deployment.config, faults, id, pieces, promptTokens, includeUsage);
	}

	/**
	 * The text of a trailing assistant message (chat) or input item (Responses): the start of an answer the model is
	 * asked to continue; {@code null} when the request ends otherwise.
	 */
	private static String assistantPrefix(JsonNode request) {
		JsonNode items = request.path("messages").isArray() ? request.path("messages") : request.path("input");
		if (!items.isArray() || items.isEmpty()) {
			return null;
		}
		JsonNode last = items.get(items.size() - 1);
		if (!"assistant".equals(last.path("role").asString(""))) {
			return null;
		}
		JsonNode content = last.path("content");
		if (content.isString()) {
			return content.asString();
		}
		StringBuilder text = new StringBuilder();
		content.forEach(part -> text.append(part.path("text").asString("")));
		return text.toString();
	}

	/**
	 * What is left of {@code pieces} after {@code prefix}, when the prefix is where this answer would have been cut
	 * (so a continuation and the cut start make the answer an uncut stream gives); all of them otherwise.
	 */
	private static List<String> continuing(List<String> pieces, String prefix) {
		if (prefix == null) {
			return pieces;
		}
		StringBuilder start = new StringBuilder();
		int next = 0;
		while (next < pieces.size() && start.length() < prefix.length()) {
			start.append(pieces.get(next++));
		}
		return start.toString().equals(prefix) ? new ArrayList<>(pieces.subList(next, pieces.size())) : pieces;
	}

	private Mono<Void> stream(HttpServerResponse res, MockDeployment deployment, Faults faults, String id,
			List<String> pieces, int promptTokens, boolean includeUsage) {
		List<String> events = new ArrayList<>();
		if (faults.promptFilter) {
			// Azure's first chunk: the prompt's content-filter results, no choices, and an empty id and model.
			events.add(promptFilterChunk());
		}
		events.add(chunk(id, deployment.name(), json.createObjectNode().put("role", "assistant").put("content", ""), null));
		pieces.forEach(p -> events.add(chunk(id, deployment.name(), json.createObjectNode().put("content", p), null)));
		events.add(chunk(id, deployment.name(), json.createObjectNode(), "stop"));
		if (includeUsage) {
			ObjectNode usage = chunkNode(id, deployment.name());
			usage.putArray("choices");
			usage.set("usage", usage(promptTokens, pieces.size()));
			events.add(usage.toString());
		}
		events.add("[DONE]");
		return send(res, state(deployment.name()), faults,
				events.stream().map(e -> "data: " + e + "\n\n").toList());
	}

	private String promptFilterChunk() {
		ObjectNode chunk = json.createObjectNode();
		chunk.putArray("choices");
		chunk.put("created", 0).put("id", "").put("model", "").put("object", "");
		chunk.putArray("prompt_filter_results")
			.addObject()
			.put("prompt_index", 0)
			.putObject("content_filter_results")
			.putObject("hate")
			.put("filtered", false)
			.put("severity", "safe");
		return chunk.toString();
	}

	/** Sends whole Server-Sent Events, paced, gated and faulted as the deployment and the request say. */
	private Mono<Void> send(HttpServerResponse res, DeploymentState state, Faults faults, List<String> events) {
		MockDeployment deployment = state.config;
		Duration pace = faults.eventDelayMs >= 0 ? Duration.ofMillis(faults.eventDelayMs) : deployment.interTokenDelay();
		Flux<String> frames = Flux.fromIterable(events);
		StreamGate gate = state.gate;
		if (gate != null) {
			state.gate = null;
			frames = frames.zipWith(gate.permits(), (frame, permit) -> frame);
		}
		else if (!pace.isZero()) {
			frames = frames.delayElements(pace);
		}
		if (faults.resetAfter >= 0) {
			// Let the events already written reach the peer before the reset: a RST discards unread data.
			frames = frames.take(faults.resetAfter)
				.concatWith(Mono.delay(Duration.ofMillis(50)).then(Mono.empty()))
				.concatWith(Mono.defer(() -> {
					res.withConnection(c -> {
						c.channel().config().setOption(ChannelOption.SO_LINGER, 0);
						c.channel().close();
					});
					return Mono.never();
				}));
		}
		else if (faults.stallAfter >= 0) {
			frames = frames.take(faults.stallAfter).concatWith(Flux.never());
		}
		Flux<String> tracked = frames.doOnSubscribe(s -> openStreams.incrementAndGet())
			.doOnCancel(cancelledStreams::incrementAndGet)
			.doFinally(signal -> openStreams.decrementAndGet());
		res.status(HttpResponseStatus.OK)
			.header("Content-Type", "text/event-stream; charset=utf-8")
			.header("Cache-Control", "no-cache");
		return res.sendString(tracked, StandardCharsets.UTF_8).then();
	}

	private Mono<Void> throttled(HttpServerResponse res, DeploymentState deployment, long waitNanos) {
		deployment.refused.incrementAndGet();
		long waitMs = Math.max(1, waitNanos / 1_000_000);
		long waitSeconds = Math.max(1, (waitMs + 999) / 1000);
		rateLimitHeaders(res, deployment);
		res.header("retry-after", Long.toString(waitSeconds)).header("retry-after-ms", Long.toString(waitMs));
		ObjectNode body = json.createObjectNode();
		body.putObject("error")
			.put("code", "429")
			.put("message", "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
					+ "2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. "
					+ "Please retry after " + waitSeconds + " seconds.");
		return sendJson(res, HttpResponseStatus.TOO_MANY_REQUESTS, body);
	}

	private static void rateLimitHeaders(HttpServerResponse res, DeploymentState deployment) {
		if (!deployment.tokens.unlimited()) {
			res.header("x-ratelimit-limit-tokens", Long.toString(deployment.tokens.capacity()))
				.header("x-ratelimit-remaining-tokens", Long.toString(deployment.tokens.remaining()))
				.header("x-ratelimit-reset-tokens", GoDurations.format(deployment.tokens.nanosUntilFull()))
				// As Azure's provisioned deployments report it: the share of the capacity in use, in percent.
				.header("azure-openai-deployment-utilization", String.format(java.util.Locale.ROOT, "%.1f%%",
						100.0 * (deployment.tokens.capacity() - deployment.tokens.remaining())
								/ deployment.tokens.capacity()));
		}
		if (!deployment.requests.unlimited()) {
			res.header("x-ratelimit-limit-requests", Long.toString(deployment.requests.capacity()))
				.header("x-ratelimit-remaining-requests", Long.toString(deployment.requests.remaining()))
				.header("x-ratelimit-reset-requests", GoDurations.format(deployment.requests.nanosUntilFull()));
		}
	}

	private static Mono<Void> error(HttpServerResponse res, HttpResponseStatus status, String code, String message) {
		ObjectNode body = json.createObjectNode();
		body.putObject("error").put("message", message).put("type", code).putNull("param").put("code", code);
		return sendJson(res, status, body);
	}

	private static Mono<Void> sendJson(HttpServerResponse res, HttpResponseStatus status, JsonNode body) {
		byte[] bytes = json.writeValueAsBytes(body);
		return res.status(status)
			.header("Content-Type", "application/json")
			.header("Content-Length", Integer.toString(bytes.length))
			.sendByteArray(Mono.just(bytes))
			.then();
	}

	private static ObjectNode chunkNode(String id, String model) {
		ObjectNode node = json.createObjectNode();
		node.put("id", id).put("object", "chat.completion.chunk").put("created", System.currentTimeMillis() / 1000)
			.put("model", model);
		return node;
	}

	private static String chunk(String id, String model, ObjectNode delta, String finishReason) {
		ObjectNode node = chunkNode(id, model);
		ObjectNode choice = node.putArray("choices").addObject();
		choice.put("index", 0).set("delta", delta);
		if (finishReason == null) {
			choice.putNull("finish_reason");
		}
		else {
			choice.put("finish_reason", finishReason);
		}
		return node.toString();
	}

	private static ObjectNode completionBody(String id, String model, String text, int promptTokens,
			int completionTokens) {
		ObjectNode node = json.createObjectNode();
		node.put("id", id).put("object", "chat.completion").put("created", System.currentTimeMillis() / 1000)
			.put("model", model);
		ObjectNode choice = node.putArray("choices").addObject();
		choice.put("index", 0).put("finish_reason", "stop");
		choice.putObject("message").put("role", "assistant").put("content", text);
		node.set("usage", usage(promptTokens, completionTokens));
		return node;
	}

	private static ObjectNode usage(int promptTokens, int completionTokens) {
		return json.createObjectNode()
			.put("prompt_tokens", promptTokens)
			.put("completion_tokens", completionTokens)
			.put("total_tokens", promptTokens + completionTokens);
	}

	/** What is done with a stored response. */
	private enum Stored {

		GET, DELETE, CANCEL, INPUT_ITEMS

	}

	/**
	 * A response this resource stored. A background one goes queued, in progress, then its final state, one step
	 * per retrieval; cancelling it before that ends it as cancelled.
	 */
	private static final class StoredResponse {

		final ObjectNode done;

		final List<String> events;

		final JsonNode input;

		/** 0 queued, 1 in progress, 2 done, 3 cancelled. */
		int stage;

		StoredResponse(ObjectNode done, List<String> events, JsonNode input, int stage) {
			this.done = done;
			this.events = events;
			this.input = input;
			this.stage = stage;
		}

		synchronized ObjectNode current() {
			if (stage == 2) {
				return done;
			}
			ObjectNode now = done.deepCopy();
			now.put("status", switch (stage) {
				case 0 -> "queued";
				case 1 -> "in_progress";
				default -> "cancelled";
			});
			now.put("background", true);
			if (stage < 2) {
				now.putArray("output");
				now.putNull("usage");
			}
			return now;
		}

		synchronized void advance() {
			if (stage < 2) {
				stage++;
			}
		}

	}

	private Publisher<Void> stored(HttpServerRequest req, HttpServerResponse res, Stored what) {
		return req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("").flatMap(body -> {
			String id = req.param("id");
			StoredResponse stored = responses.get(id);
			recorded.add(new RecordedRequest(stored == null ? "" : stored.done.path("model").asString(""),
					req.method().name(), req.uri(), headers(req), body));
			if (stored == null) {
				return error(res, HttpResponseStatus.NOT_FOUND, "invalid_request_error",
						"Response with id '" + id + "' not found.");
			}
			QueryStringDecoder query = new QueryStringDecoder(req.uri());
			switch (what) {
				case DELETE -> {
					responses.remove(id);
					return sendJson(res, HttpResponseStatus.OK, json.createObjectNode().put("id", id)
						.put("object", "response.deleted").put("deleted", true));
				}
				case CANCEL -> {
					synchronized (stored) {
						if (stored.stage >= 2) {
							return error(res, HttpResponseStatus.BAD_REQUEST, "invalid_request_error",
									"Only background responses that have not finished can be cancelled.");
						}
						stored.stage = 3;
					}
					return sendJson(res, HttpResponseStatus.OK, stored.current());
				}
				case INPUT_ITEMS -> {
					ObjectNode list = json.createObjectNode().put("object", "list");
					ArrayNode data = list.putArray("data");
					if (stored.input.isString()) {
						ObjectNode item = data.addObject().put("type", "message").put("role", "user");
						item.putArray("content").addObject().put("type", "input_text").put("text", stored.input.asString());
					}
					else if (stored.input.isArray()) {
						stored.input.forEach(data::add);
					}
					return sendJson(res, HttpResponseStatus.OK, list.put("has_more", false));
				}
				default -> {
					List<String> stream = query.parameters().getOrDefault("stream", List.of());
					if (stream.contains("true")) {
						long after = Long.parseLong(query.parameters().getOrDefault("starting_after", List.of("-1")).get(0));
						List<String> rest = stored.events.stream()
							.filter(event -> sequenceOf(event) > after)
							.toList();
						return send(res, state(stored.done.path("model").asString()), Faults.parse(null), rest);
					}
					ObjectNode now = stored.current();
					stored.advance();
					return sendJson(res, HttpResponseStatus.OK, now);
				}
			}
		}).then();
	}

	private static long sequenceOf(String event) {
		JsonNode data = json.readTree(event.substring(event.indexOf("data: ") + "data: ".length()).trim());
		return data.path("sequence_number").asLong(-1);
	}

	/** A Responses API answer: one assistant message, {@code status} completed or incomplete (out of tokens). */
	private static ObjectNode responseBody(String id, String model, String status, String text, int promptTokens,
			int outputTokens) {
		ObjectNode node = response(id, model, status);
		ObjectNode message = node.putArray("output").addObject();
		message.put("type", "message").put("id", "msg_" + id).put("status", status).put("role", "assistant");
		message.putArray("content").addObject().put("type", "output_text").put("text", text).putArray("annotations");
		node.set("usage", responseUsage(promptTokens, outputTokens));
		return node;
	}

	private static ObjectNode response(String id, String model, String status) {
		ObjectNode node = json.createObjectNode();
		node.put("id", id).put("object", "response").put("created_at", System.currentTimeMillis() / 1000)
			.put("status", status).put("model", model);
		if ("incomplete".equals(status)) {
			node.putObject("incomplete_details").put("reason", "max_output_tokens");
		}
		else {
			node.putNull("incomplete_details");
		}
		node.putNull("error");
		return node;
	}

	private static ObjectNode responseUsage(int inputTokens, int outputTokens) {
		ObjectNode usage = json.createObjectNode().put("input_tokens", inputTokens);
		usage.putObject("input_tokens_details").put("cached_tokens", 0);
		usage.put("output_tokens", outputTokens);
		usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
		usage.put("total_tokens", inputTokens + outputTokens);
		return usage;
	}

	/**
	 * A Responses API stream as OpenAI sends one: created, in progress, the message item and its text part opened,
	 * one {@code response.output_text.delta} per piece, the text, part and item closed, then
	 * {@code response.completed} (or {@code response.incomplete}) carrying the response with its usage. Every event
	 * is numbered; there is no {@code [DONE]}.
	 */
	private static List<String> responseEvents(String id, String model, String status, List<String> pieces,
			int promptTokens) {
		List<ObjectNode> events = new ArrayList<>();
		events.add(json.createObjectNode().put("type", "response.created")
			.set("response", response(id, model, "in_progress")));
		events.add(json.createObjectNode().put("type", "response.in_progress")
			.set("response", response(id, model, "in_progress")));
		String itemId = "msg_" + id;
		ObjectNode item = json.createObjectNode().put("type", "message").put("id", itemId).put("status", "in_progress")
			.put("role", "assistant");
		item.putArray("content");
		events.add(json.createObjectNode().put("type", "response.output_item.added").put("output_index", 0)
			.set("item", item));
		ObjectNode part = json.createObjectNode().put("type", "output_text").put("text", "");
		part.putArray("annotations");
		events.add(json.createObjectNode().put("type", "response.content_part.added").put("item_id", itemId)
			.put("output_index", 0).put("content_index", 0).set("part", part));
		for (String piece : pieces) {
			events.add(json.createObjectNode().put("type", "response.output_text.delta").put("item_id", itemId)
				.put("output_index", 0).put("content_index", 0).put("delta", piece));
		}
		String text = String.join("", pieces);
		events.add(json.createObjectNode().put("type", "response.output_text.done").put("item_id", itemId)
			.put("output_index", 0).put("content_index", 0).put("text", text));
		ObjectNode done = responseBody(id, model, status, text, promptTokens, pieces.size());
		events.add(json.createObjectNode().put("type", "response.output_item.done").put("output_index", 0)
			.set("item", done.path("output").get(0)));
		events.add(json.createObjectNode()
			.put("type", "completed".equals(status) ? "response.completed" : "response.incomplete")
			.set("response", done));
		List<String> frames = new ArrayList<>();
		for (int i = 0; i < events.size(); i++) {
			ObjectNode event = events.get(i);
			event.put("sequence_number", i);
			frames.add("event: " + event.path("type").asString() + "\ndata: " + event + "\n\n");
		}
		return frames;
	}

	private static ObjectNode embeddingsBody(JsonNode request, String model, int promptTokens) {
		JsonNode input = request.path("input");
		List<String> inputs = new ArrayList<>();
		if (input.isArray()) {
			input.forEach(i -> inputs.add(i.toString()));
		}
		else {
			inputs.add(input.asString(""));
		}
		ObjectNode node = json.createObjectNode().put("object", "list").put("model", model);
		ArrayNode data = node.putArray("data");
		for (int i = 0; i < inputs.size(); i++) {
			ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
			ArrayNode vector = item.putArray("embedding");
			int hash = inputs.get(i).hashCode();
			for (int d = 0; d < 8; d++) {
				vector.add(((hash >>> d) & 0xff) / 255.0);
			}
		}
		node.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
		return node;
	}

	private static Map<String, String> headers(HttpServerRequest req) {
		Map<String, String> headers = new HashMap<>();
		req.requestHeaders().forEach(e -> headers.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
		return headers;
	}

	private static final class DeploymentState {

		final MockDeployment config;

		final MinuteBudget tokens;

		final MinuteBudget requests;

		volatile long throttledUntilNanos;

		/** 429s this deployment answered because its budget or a throttle refused the request. */
		final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();

		volatile String faults;

		/** Whether each answer starts with a word drawn from the question, so that different questions differ. */
		volatile boolean answersVary;

		/** Gates the next stream of this deployment, once. */
		volatile StreamGate gate;

		DeploymentState(MockDeployment config) {
			this.config = config;
			this.tokens = new MinuteBudget(config.tokensPerMinute());
			this.requests = new MinuteBudget(config.requestsPerMinute());
		}

		/** Returns 0 when admitted, else nanos to wait. */
		synchronized long admit(int tokenCost) {
			long forced = throttledUntilNanos - System.nanoTime();
			if (forced > 0) {
				return forced;
			}
			long requestWait = requests.tryTake(1);
			if (requestWait > 0) {
				return requestWait;
			}
			long tokenWait = tokens.tryTake(tokenCost);
			if (tokenWait > 0) {
				log.debug("{} throttled for {} ms", config.name(), tokenWait / 1_000_000);
			}
			return tokenWait;
		}

	}

	private record Faults(int status, long headerDelayMs, int resetAfter, int stallAfter, long eventDelayMs,
			boolean quota, boolean context, boolean resetBeforeHeaders, long impossibleHintMs, boolean incomplete,
			boolean promptFilter) {

		static Faults parse(String header) {
			int status = 0;
			long headerDelay = 0;
			int reset = -1;
			int stall = -1;
			long eventDelay = -1;
			boolean quota = false;
			boolean context = false;
			boolean resetBeforeHeaders = false;
			long impossibleHint = -1;
			boolean incomplete = false;
			boolean promptFilter = false;
			if (header != null) {
				for (String part : header.split(";")) {
					String[] kv = part.trim().split("=", 2);
					if (kv.length != 2) {
						continue;
					}
					long value = Long.parseLong(kv[1].trim());
					switch (kv[0].trim()) {
						case "status" -> status = (int) value;
						case "header-delay-ms" -> headerDelay = value;
						case "reset-after" -> reset = (int) value;
						case "stall-after" -> stall = (int) value;
						case "event-delay-ms" -> eventDelay = value;
						case "quota" -> quota = value != 0;
						case "context" -> context = value != 0;
						case "reset-before-headers" -> resetBeforeHeaders = value != 0;
						case "impossible-hint-ms" -> impossibleHint = value;
						case "incomplete" -> incomplete = value != 0;
						case "prompt-filter" -> promptFilter = value != 0;
						default -> {
						}
					}
				}
			}
			return new Faults(status, headerDelay, reset, stall, eventDelay, quota, context, resetBeforeHeaders,
					impossibleHint, incomplete, promptFilter);
		}

	}

	private static final class Queue {

		private static final int MAX = 10_000;

		private final ConcurrentLinkedQueue<RecordedRequest> items = new ConcurrentLinkedQueue<>();

		private final AtomicInteger size = new AtomicInteger();

		void add(RecordedRequest request) {
			items.add(request);
			if (size.incrementAndGet() > MAX && items.poll() != null) {
				size.decrementAndGet();
			}
		}

		List<RecordedRequest> snapshot() {
			return List.copyOf(items);
		}

		void clear() {
			items.clear();
			size.set(0);
		}

	}

}
