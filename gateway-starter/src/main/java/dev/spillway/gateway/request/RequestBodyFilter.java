package dev.spillway.gateway.request;

import java.util.Optional;

import com.knuddels.jtokkit.api.Encoding;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.ModelNames;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.core.SpillwayFilterOrders;
import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;
import dev.spillway.gateway.wire.LlmOperation;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;

/**
 * Reads the body of a Spillway request once, up to the configured size (413 past it), parses it and checks
 * what must hold before anything is sent upstream (400, 404, 405, 415), and counts its prompt tokens. The parsed request is kept on the
 * {@link LlmExchange}; the backend request filter sends the kept bytes, so a retry can send them again.
 */
public class RequestBodyFilter implements GlobalFilter, Ordered {

	private static final String AZURE_DEPLOYMENTS = "/openai/deployments/";

	private final JsonMapper json;

	private final Pools pools;

	private final int maxBodyBytes;

	private final TokenCounter tokens;

	private final long defaultCompletionReservation;

	private final HeavyWork heavyWork;

	public RequestBodyFilter(JsonMapper json, Pools pools, long maxBodyBytes, TokenCounter tokens,
			long defaultCompletionReservation, HeavyWork heavyWork) {
		this.json = json;
		this.pools = pools;
		this.maxBodyBytes = (int) Math.min(Integer.MAX_VALUE, maxBodyBytes);
		this.tokens = tokens;
		this.defaultCompletionReservation = defaultCompletionReservation;
		this.heavyWork = heavyWork;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null) {
			return chain.filter(exchange);
		}
		ServerHttpRequest request = exchange.getRequest();
		String path = request.getPath().value();
		LlmOperation operation = LlmOperation.fromPath(path);
		if (operation == null) {
			return ErrorResponses.write(exchange, OpenAiError.unknownUrl(request.getMethod().name(), path));
		}
		if (!allowed(operation, request.getMethod(), path)) {
			return ErrorResponses.write(exchange, OpenAiError.methodNotAllowed(request.getMethod().name()));
		}
		OpenAiError headerError = checkHeaders(request.getHeaders());
		if (headerError != null) {
			return ErrorResponses.write(exchange, headerError);
		}
		return DataBufferUtils.join(request.getBody(), maxBodyBytes).map(buffer -> {
			byte[] bytes = new byte[buffer.readableByteCount()];
			buffer.read(bytes);
			DataBufferUtils.release(buffer);
			return Optional.of(bytes);
		})
			.defaultIfEmpty(Optional.of(new byte[0]))
			.onErrorReturn(DataBufferLimitException.class, Optional.empty())
			.flatMap(body -> {
				if (body.isEmpty()) {
					return ErrorResponses.write(exchange, OpenAiError.requestTooLarge(maxBodyBytes));
				}
				byte[] bytes = body.get();
				// Tokenizing a long prompt takes milliseconds of CPU: keep it off the event loop that serves I/O.
				return heavyWork.run(bytes.length, () -> parse(request, operation, bytes, llm.pool()))
					.onErrorResume(HeavyWork.Overloaded.class, full -> Mono.just(Parsed.OVERLOADED))
					.flatMap(parsed -> {
						if (parsed == Parsed.OVERLOADED) {
							return HeavyWork.overloaded(exchange);
						}
						if (parsed.error != null) {
							return ErrorResponses.write(exchange, parsed.error);
						}
						llm.request(parsed.request);
						return chain.filter(exchange);
					});
			});
	}

	/**
	 * {@code POST} creates; a stored response is read with {@code GET}, deleted with {@code DELETE} and cancelled with
	 * {@code POST .../cancel}.
	 */
	private static boolean allowed(LlmOperation operation, HttpMethod method, String path) {
		if (operation != LlmOperation.STORED_RESPONSE) {
			return HttpMethod.POST.equals(method);
		}
		String stored = LlmOperation.storedResponsePath(path);
		if (stored.endsWith("/cancel")) {
			return HttpMethod.POST.equals(method);
		}
		if (stored.endsWith("/input_items")) {
			return HttpMethod.GET.equals(method);
		}
		return HttpMethod.GET.equals(method) || HttpMethod.DELETE.equals(method);
	}

	/** An operation on a stored response: no model, no tokens; a {@code GET} streams when its query says so. */
	private Parsed storedResponse(ServerHttpRequest request, byte[] bytes, String pool) {
		String query = request.getURI().getRawQuery();
		String target = LlmOperation.storedResponsePath(request.getPath().value())
				+ (query == null || query.isEmpty() ? "" : "?" + query);
		boolean stream = "true".equals(request.getQueryParams().getFirst("stream"));
		ObjectNode body = json.createObjectNode();
		Encoding encoding = tokens.encoding(pools.pool(pool).encoding(), null);
		return new Parsed(new LlmRequest(LlmOperation.STORED_RESPONSE, false, null, null, stream, false, body, bytes,
				encoding, 0, 0, target), null);
	}

	private OpenAiError checkHeaders(HttpHeaders headers) {
		MediaType contentType;
		try {
			contentType = headers.getContentType();
		}
		catch (InvalidMediaTypeException ex) {
			return OpenAiError.unsupportedMediaType(headers.getFirst(HttpHeaders.CONTENT_TYPE));
		}
		if (contentType != null && !MediaType.APPLICATION_JSON.isCompatibleWith(contentType)) {
			return OpenAiError.unsupportedMediaType(contentType.toString());
		}
		if (headers.getContentLength() > maxBodyBytes) {
			return OpenAiError.requestTooLarge(maxBodyBytes);
		}
		return null;
	}

	private Parsed parse(ServerHttpRequest request, LlmOperation operation, byte[] bytes, String pool) {
		if (operation == LlmOperation.STORED_RESPONSE) {
			return storedResponse(request, bytes, pool);
		}
		JsonNode root;
		try {
			root = json.readTree(bytes);
		}
		catch (JacksonException ex) {
			return Parsed.failed(OpenAiError.invalidRequest("invalid_json",
					"We could not parse the JSON body of your request. It must be a valid JSON object.", null));
		}
		if (root == null || !root.isObject()) {
			return Parsed.failed(OpenAiError.invalidRequest("invalid_json",
					"The request body must be a JSON object.", null));
		}
		ObjectNode body = (ObjectNode) root;
		OpenAiError typeError = operation.format().check(body);
		if (typeError != null) {
			return Parsed.failed(typeError);
		}
		String path = request.getPath().value();
		int azure = path.indexOf(AZURE_DEPLOYMENTS);
		boolean azureForm = azure >= 0;
		String model;
		if (azureForm) {
			int start = azure + AZURE_DEPLOYMENTS.length();
			int end = path.indexOf('/', start);
			model = end > start ? path.substring(start, end) : null;
		}
		else {
			model = body.path("model").isString() ? body.get("model").asString() : null;
			if (model == null || model.isBlank()) {
				return Parsed.failed(OpenAiError.invalidRequest("missing_required_parameter",
						"You must provide a model parameter.", "model"));
			}
		}
		// A body model that a backend of the pool will put into its URL path must be a safe path segment as well.
		String problem = azureForm || pools.passesNameAsDeployment(pool) ? ModelNames.deploymentProblem(model)
				: ModelNames.modelProblem(model);
		if (problem != null) {
			String field = azureForm ? "deployment" : "model";
			return Parsed.failed(OpenAiError.invalidRequest("invalid_value",
					"Invalid '" + field + "': " + problem + ".", field));
		}
		if (!pools.serves(pool, model)) {
			return Parsed.failed(OpenAiError.modelNotFound(model));
		}
		boolean stream = operation.format().stream(body);
		String apiVersion = request.getQueryParams().getFirst("api-version");
		boolean clientWantsUsage = operation.format().clientWantsUsage(body);
		Encoding encoding = tokens.encoding(pools.pool(pool).encoding(), model);
		long promptTokens = tokens.promptTokens(encoding, operation, body);
		long reservation = operation.format().outputReservation(body, defaultCompletionReservation);
		return new Parsed(new LlmRequest(operation, azureForm, model, apiVersion, stream, clientWantsUsage, body, bytes,
				encoding, promptTokens, reservation), null);
	}

	@Override
	public int getOrder() {
		return SpillwayFilterOrders.REQUEST_BODY;
	}

	private record Parsed(LlmRequest request, OpenAiError error) {

		static final Parsed OVERLOADED = new Parsed(null, null);

		static Parsed failed(OpenAiError error) {
			return new Parsed(null, error);
		}

	}

}
