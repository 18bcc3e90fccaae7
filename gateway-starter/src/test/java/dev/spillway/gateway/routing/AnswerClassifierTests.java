package dev.spillway.gateway.routing;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.spillway.gateway.routing.AnswerClassifier.ContextTooLong;
import dev.spillway.gateway.routing.AnswerClassifier.FailOver;
import dev.spillway.gateway.routing.AnswerClassifier.PassThrough;
import dev.spillway.gateway.routing.AnswerClassifier.QuotaExhausted;
import dev.spillway.gateway.routing.AnswerClassifier.Throttled;
import dev.spillway.gateway.routing.AnswerClassifier.Verdict;

import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;

/** Every status, header form and error body the routing docs name, and what each answer means. */
class AnswerClassifierTests {

	static final long NOW = Instant.parse("2026-12-01T10:00:00Z").toEpochMilli();

	static final String AZURE_429 = "{\"error\":{\"code\":\"429\",\"message\":\"Requests to the ChatCompletions_Create "
			+ "Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit. Please retry after 7 "
			+ "seconds.\"}}";

	static final String QUOTA_429 = "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":"
			+ "\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}";

	static final String CONTEXT_400 = "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens\","
			+ "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}";

	private final AnswerClassifier classifier = new AnswerClassifier(Set.of(500, 502, 503, 504),
			new ThrottleDurations(Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofSeconds(120)),
			Duration.ofHours(1));

	static Stream<Arguments> answers() {
		String inNineSeconds = DateTimeFormatter.RFC_1123_DATE_TIME
			.format(Instant.ofEpochMilli(NOW + 9_000).atZone(ZoneOffset.UTC));
		return Stream.of(
				Arguments.of("429 retry-after-ms", 429, Map.of("retry-after-ms", "1500"), AZURE_429, false,
						new Throttled(Duration.ofMillis(1500))),
				Arguments.of("429 x-ms-retry-after-ms", 429, Map.of("x-ms-retry-after-ms", "2500"), AZURE_429, false,
						new Throttled(Duration.ofMillis(2500))),
				Arguments.of("429 retry-after-ms wins over retry-after", 429,
						Map.of("retry-after-ms", "300", "retry-after", "7"), AZURE_429, false,
						new Throttled(Duration.ofMillis(300))),
				Arguments.of("429 retry-after seconds", 429, Map.of("retry-after", "7"), AZURE_429, false,
						new Throttled(Duration.ofSeconds(7))),
				Arguments.of("429 retry-after fractional seconds", 429, Map.of("retry-after", "1.5"), AZURE_429, false,
						new Throttled(Duration.ofMillis(1500))),
				Arguments.of("429 retry-after HTTP date", 429, Map.of("retry-after", inNineSeconds), AZURE_429, false,
						new Throttled(Duration.ofSeconds(9))),
				Arguments.of("429 Go-duration resets, the later wins", 429,
						Map.of("x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens", "6m0s"), AZURE_429, false,
						new Throttled(Duration.ofSeconds(120))),
				Arguments.of("429 reset in milliseconds", 429, Map.of("x-ratelimit-reset-tokens", "850ms"), AZURE_429,
						false, new Throttled(Duration.ofMillis(850))),
				Arguments.of("429 Google-style retryDelay in the body (an OpenAI-compatible Gemini endpoint)", 429,
						Map.of(), "[{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
								+ "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"23s\"}]}}]",
						false, new Throttled(Duration.ofSeconds(23))),
				Arguments.of("429 without a hint: the default", 429, Map.of(), AZURE_429, false,
						new Throttled(Duration.ofSeconds(10))),
				Arguments.of("429 malformed hints are skipped", 429,
						Map.of("retry-after-ms", "soon", "retry-after", "-3"), AZURE_429, false,
						new Throttled(Duration.ofSeconds(10))),
				Arguments.of("429 a day-long trial wait is clamped", 429, Map.of("retry-after", "86400"), AZURE_429,
						false, new Throttled(Duration.ofSeconds(120))),
				Arguments.of("429 a 1 ms hint is raised to the minimum", 429, Map.of("retry-after-ms", "1"), AZURE_429,
						false, new Throttled(Duration.ofMillis(100))),
				Arguments.of("429 insufficient_quota is billing, not load", 429, Map.of("retry-after", "1"), QUOTA_429,
						false, new QuotaExhausted(Duration.ofHours(1))),
				Arguments.of("400 context_length_exceeded with a context fallback", 400, Map.of(), CONTEXT_400, true,
						new ContextTooLong()),
				Arguments.of("400 context_length_exceeded without one", 400, Map.of(), CONTEXT_400, false,
						new PassThrough()),
				Arguments.of("400 of another kind", 400, Map.of(), "{\"error\":{\"code\":\"invalid_value\"}}", true,
						new PassThrough()),
				Arguments.of("500", 500, Map.of(), null, false, new FailOver(500)),
				Arguments.of("503", 503, Map.of("retry-after", "5"), null, false, new FailOver(503)),
				Arguments.of("404 is the client's", 404, Map.of(), null, false, new PassThrough()),
				Arguments.of("200", 200, Map.of("x-ratelimit-remaining-tokens", "0"), null, false, new PassThrough()));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("answers")
	void classifies(String name, int status, Map<String, String> headers, String body, boolean contextFallback,
			Verdict expected) {
		HttpHeaders backendHeaders = new HttpHeaders();
		headers.forEach(backendHeaders::add);
		String read = classifier.needsBody(status, contextFallback) ? body : null;

		assertThat(classifier.classify(status, backendHeaders, read, contextFallback, NOW)).isEqualTo(expected);
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("answers")
	void readsABodyOnlyWhereItDecides(String name, int status, Map<String, String> headers, String body,
			boolean contextFallback, Verdict expected) {
		boolean decidedByBody = expected instanceof QuotaExhausted || expected instanceof ContextTooLong;
		if (decidedByBody) {
			assertThat(classifier.needsBody(status, contextFallback)).isTrue();
		}
		if (status >= 500 || status == 200 || status == 404) {
			assertThat(classifier.needsBody(status, contextFallback)).isFalse();
		}
	}

}
