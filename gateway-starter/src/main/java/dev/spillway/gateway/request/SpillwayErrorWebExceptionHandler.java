package dev.spillway.gateway.request;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import dev.spillway.gateway.error.ErrorResponses;
import dev.spillway.gateway.error.OpenAiError;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;

/**
 * Answers failures on Spillway routes the way OpenAI clients expect, {@code {"error":{...}}}, instead of Spring's
 * default error page: never a stack trace, always a status a client can act on (502 when the backend could not
 * be reached, 504 when it did not answer in time). A request under the API's path prefixes that no route serves gets
 * OpenAI's 404. Other routes are left to the application's handlers.
 */
public class SpillwayErrorWebExceptionHandler implements WebExceptionHandler, Ordered {

	/** Just before Spring Boot's {@code DefaultErrorWebExceptionHandler} (-1). */
	public static final int ORDER = -2;

	private static final Logger log = LoggerFactory.getLogger(SpillwayErrorWebExceptionHandler.class);

	private final List<String> apiPathPrefixes;

	public SpillwayErrorWebExceptionHandler(List<String> apiPathPrefixes) {
		this.apiPathPrefixes = List.copyOf(apiPathPrefixes);
	}

	@Override
	public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
		if (exchange.getResponse().isCommitted()) {
			return Mono.error(failure);
		}
		LlmExchange llm = LlmExchange.of(exchange);
		if (llm == null) {
			return unrouted(exchange, failure);
		}
		OpenAiError error = toError(failure);
		if (error.status().is5xxServerError() && !(failure instanceof ResponseStatusException)
				&& !(failure instanceof IOException)) {
			log.error("Request on pool={} backend={} failed", llm.pool(), llm.backend(), failure);
		}
		else {
			log.warn("Request on pool={} backend={} answered {}: {}", llm.pool(), llm.backend(), error.status().value(),
					failure.toString());
		}
		exchange.getResponse().getHeaders().clear();
		return ErrorResponses.write(exchange, error);
	}

	/**
	 * No route took the request. Under the API's own path prefixes the client is an OpenAI SDK: answer as OpenAI
	 * does ({@code Invalid URL (POST /v1/...)}), so the SDK shows the real reason instead of a bare 404. Elsewhere
	 * the application's handlers answer.
	 */
	private Mono<Void> unrouted(ServerWebExchange exchange, Throwable failure) {
		String path = exchange.getRequest().getPath().value();
		if (!(failure instanceof ResponseStatusException status)
				|| (status.getStatusCode().value() != 404 && status.getStatusCode().value() != 405)
				|| apiPathPrefixes.stream().noneMatch(path::startsWith)) {
			return Mono.error(failure);
		}
		exchange.getResponse().getHeaders().clear();
		return ErrorResponses.write(exchange,
				OpenAiError.unknownUrl(exchange.getRequest().getMethod().name(), printable(path)));
	}

	/** The path as a client may see it back: at most 200 characters, control characters replaced. */
	private static String printable(String path) {
		String shortened = path.length() > 200 ? path.substring(0, 200) + "…" : path;
		return shortened.replaceAll("\\p{Cntrl}", "?");
	}

	static OpenAiError toError(Throwable failure) {
		if (failure instanceof DataBufferLimitException) {
			return new OpenAiError(HttpStatus.PAYLOAD_TOO_LARGE, OpenAiError.INVALID_REQUEST, "request_too_large",
					"The request is too large.", null);
		}
		if (failure instanceof ResponseStatusException statusException) {
			HttpStatusCode code = statusException.getStatusCode();
			HttpStatus status = HttpStatus.resolve(code.value());
			if (status == HttpStatus.GATEWAY_TIMEOUT) {
				return OpenAiError.server(status, "upstream_timeout", "The upstream did not answer in time.");
			}
			if (status == HttpStatus.SERVICE_UNAVAILABLE) {
				return OpenAiError.server(status, "no_backend_available", "No backend is available for this request.");
			}
			if (status != null && status.is4xxClientError()) {
				return new OpenAiError(status, OpenAiError.INVALID_REQUEST, "invalid_request",
						statusException.getReason() != null ? statusException.getReason() : status.getReasonPhrase(),
						null);
			}
			return OpenAiError.server(status == null ? HttpStatus.BAD_GATEWAY : status, "upstream_error",
					"The upstream request failed.");
		}
		if (failure instanceof TimeoutException) {
			return OpenAiError.server(HttpStatus.GATEWAY_TIMEOUT, "upstream_timeout",
					"The upstream did not answer in time.");
		}
		if (failure instanceof IOException || failure.getCause() instanceof IOException) {
			return OpenAiError.server(HttpStatus.BAD_GATEWAY, "upstream_unavailable",
					"The upstream could not be reached.");
		}
		return OpenAiError.server(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error",
				"The gateway failed to process the request.");
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

}
