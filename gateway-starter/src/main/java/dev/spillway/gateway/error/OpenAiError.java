package dev.spillway.gateway.error;

import org.springframework.http.HttpStatus;

/**
 * An error as OpenAI's API shapes it: {@code {"error":{"message","type","param","code"}}}, with the HTTP
 * status it travels with. Errors are values: filters return them through {@link ErrorResponses}.
 *
 * @param status HTTP status
 * @param type OpenAI error type, e.g. {@code invalid_request_error}
 * @param code machine-readable code, e.g. {@code invalid_api_key}
 * @param message human-readable explanation
 * @param param the request parameter at fault, or {@code null}
 */
public record OpenAiError(HttpStatus status, String type, String code, String message, String param) {

	public static final String INVALID_REQUEST = "invalid_request_error";

	public static final String SERVER_ERROR = "server_error";

	public static OpenAiError invalidRequest(String code, String message, String param) {
		return new OpenAiError(HttpStatus.BAD_REQUEST, INVALID_REQUEST, code, message, param);
	}

	public static OpenAiError invalidApiKey(String message) {
		return new OpenAiError(HttpStatus.UNAUTHORIZED, INVALID_REQUEST, "invalid_api_key", message, null);
	}

	public static OpenAiError modelNotFound(String model) {
		return new OpenAiError(HttpStatus.NOT_FOUND, INVALID_REQUEST, "model_not_found",
				"The model '" + model + "' does not exist or is not served by this route.", "model");
	}

	public static OpenAiError unknownUrl(String method, String path) {
		return new OpenAiError(HttpStatus.NOT_FOUND, INVALID_REQUEST, "unknown_url",
				"Invalid URL (" + method + " " + path + ")", null);
	}

	public static OpenAiError methodNotAllowed(String method) {
		return new OpenAiError(HttpStatus.METHOD_NOT_ALLOWED, INVALID_REQUEST, "method_not_allowed",
				"Method " + method + " is not allowed here; use POST.", null);
	}

	public static OpenAiError requestTooLarge(long maxBytes) {
		return new OpenAiError(HttpStatus.PAYLOAD_TOO_LARGE, INVALID_REQUEST, "request_too_large",
				"The request body exceeds the maximum of " + maxBytes + " bytes.", null);
	}

	public static OpenAiError unsupportedMediaType(String contentType) {
		return new OpenAiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, INVALID_REQUEST, "unsupported_media_type",
				"Content-Type must be application/json, not '" + contentType + "'.", null);
	}

	public static OpenAiError server(HttpStatus status, String code, String message) {
		return new OpenAiError(status, SERVER_ERROR, code, message, null);
	}

}
