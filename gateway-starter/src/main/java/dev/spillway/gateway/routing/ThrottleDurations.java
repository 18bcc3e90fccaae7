package dev.spillway.gateway.routing;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.spillway.gateway.core.GoDurations;
import dev.spillway.gateway.core.OpenAiHeaders;

import org.springframework.http.HttpHeaders;

/**
 * How long a backend asked to be left alone, read from its answer's headers in the precedence the official OpenAI
 * SDK uses: {@code retry-after-ms} (or Azure's {@code x-ms-retry-after-ms}), then {@code retry-after} (seconds,
 * fractions allowed, or an HTTP date), then the {@code retryDelay} of a Google-style error body
 * ({@code google.rpc.RetryInfo}, as OpenAI-compatible Gemini endpoints send it: {@code "retryDelay": "30s"}), then
 * {@code x-ratelimit-reset-requests} / {@code -tokens} (Go durations such as {@code 6m0s}, {@code 12ms}; the later
 * of the two), then the configured default. The result is clamped to [min, max] so one answer cannot bench a
 * backend for a day. Malformed values are skipped, never thrown.
 */
final class ThrottleDurations {

	private static final Pattern RETRY_DELAY = Pattern.compile("\"retryDelay\"\\s*:\\s*\"(\\d{1,9}(?:\\.\\d{1,9})?)s\"");

	private final Duration defaultDuration;

	private final Duration min;

	private final Duration max;

	ThrottleDurations(Duration defaultDuration, Duration min, Duration max) {
		this.defaultDuration = defaultDuration;
		this.min = min;
		this.max = max;
	}

	/** The clamped wait the headers ask for. */
	Duration of(HttpHeaders headers, long nowMillis) {
		return of(headers, null, nowMillis);
	}

	/** The clamped wait the headers, or the start of the error body, ask for. */
	Duration of(HttpHeaders headers, String bodyStart, long nowMillis) {
		Duration asked = asked(headers, bodyStart, nowMillis);
		Duration wait = asked != null ? asked : defaultDuration;
		if (wait.compareTo(min) < 0) {
			return min;
		}
		return wait.compareTo(max) > 0 ? max : wait;
	}

	/** The wait the headers ask for, unclamped, or {@code null} when none of them says anything usable. */
	static Duration asked(HttpHeaders headers, long nowMillis) {
		return asked(headers, null, nowMillis);
	}

	/** As {@link #asked(HttpHeaders, long)}, with the start of the error body for a {@code retryDelay}. */
	static Duration asked(HttpHeaders headers, String bodyStart, long nowMillis) {
		Duration millis = millis(headers.getFirst(OpenAiHeaders.RETRY_AFTER_MS));
		if (millis != null) {
			return millis;
		}
		Duration azureMillis = millis(headers.getFirst(OpenAiHeaders.MS_RETRY_AFTER_MS));
		if (azureMillis != null) {
			return azureMillis;
		}
		Duration retryAfter = retryAfter(headers.getFirst(HttpHeaders.RETRY_AFTER), nowMillis);
		if (retryAfter != null) {
			return retryAfter;
		}
		Duration retryDelay = retryDelay(bodyStart);
		if (retryDelay != null) {
			return retryDelay;
		}
		Duration requests = GoDurations.parse(headers.getFirst(OpenAiHeaders.RESET_REQUESTS));
		Duration tokens = GoDurations.parse(headers.getFirst(OpenAiHeaders.RESET_TOKENS));
		if (requests == null) {
			return tokens;
		}
		return tokens == null || requests.compareTo(tokens) >= 0 ? requests : tokens;
	}

	/** The {@code retryDelay} of a {@code google.rpc.RetryInfo} in an error body: a protobuf duration, "30s", "1.5s". */
	static Duration retryDelay(String bodyStart) {
		if (bodyStart == null) {
			return null;
		}
		Matcher delay = RETRY_DELAY.matcher(bodyStart);
		if (!delay.find()) {
			return null;
		}
		Double seconds = number(delay.group(1));
		return seconds == null ? null : Duration.ofNanos((long) (seconds * 1_000_000_000L));
	}

	static Duration millis(String value) {
		Double number = number(value);
		return number == null ? null : Duration.ofNanos((long) (number * 1_000_000));
	}

	static Duration retryAfter(String value, long nowMillis) {
		if (value == null) {
			return null;
		}
		Double seconds = number(value);
		if (seconds != null) {
			return Duration.ofNanos((long) (seconds * 1_000_000_000L));
		}
		try {
			long at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
			return Duration.ofMillis(Math.max(0, at - nowMillis));
		}
		catch (DateTimeParseException ex) {
			return null;
		}
	}

	/** A non-negative, finite, reasonably sized number, else {@code null}. */
	private static Double number(String value) {
		if (value == null || value.isBlank() || value.length() > 32) {
			return null;
		}
		try {
			double number = Double.parseDouble(value.trim());
			return Double.isFinite(number) && number >= 0 && number < 1e12 ? number : null;
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

}
