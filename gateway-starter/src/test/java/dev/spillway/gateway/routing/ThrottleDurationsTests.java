package dev.spillway.gateway.routing;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.spillway.gateway.core.GoDurations;

import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;

class ThrottleDurationsTests {

	private final ThrottleDurations durations = new ThrottleDurations(Duration.ofSeconds(10), Duration.ofMillis(100),
			Duration.ofSeconds(120));

	private final long now = 1_700_000_000_000L;

	@Test
	void retryAfterMsComesFirst() {
		assertThat(wait(headers("retry-after-ms", "1500", "retry-after", "30"))).isEqualTo(Duration.ofMillis(1500));
	}

	@Test
	void retryAfterSecondsMayBeFractional() {
		assertThat(wait(headers("retry-after", "2.5"))).isEqualTo(Duration.ofMillis(2500));
	}

	@Test
	void retryAfterMayBeAnHttpDate() {
		String in30s = DateTimeFormatter.RFC_1123_DATE_TIME
			.format(Instant.ofEpochMilli(now + 30_000).atOffset(ZoneOffset.UTC));
		assertThat(wait(headers("retry-after", in30s))).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void goDurationResetsAreReadAndTheLaterWins() {
		assertThat(wait(headers("x-ratelimit-reset-requests", "12ms", "x-ratelimit-reset-tokens", "6m0s")))
			.isEqualTo(Duration.ofSeconds(120));
		assertThat(wait(headers("x-ratelimit-reset-tokens", "2m59.56s", "x-ratelimit-reset-requests", "1s")))
			.isEqualTo(Duration.ofSeconds(120));
		assertThat(wait(headers("x-ratelimit-reset-tokens", "1.5s"))).isEqualTo(Duration.ofMillis(1500));
		assertThat(GoDurations.parse("1h2m3s")).isEqualTo(Duration.ofSeconds(3723));
		assertThat(GoDurations.parse("6m0s")).isEqualTo(Duration.ofMinutes(6));
	}

	@Test
	void garbageAndNegativeValuesFallThroughToTheNextHeaderOrTheDefault() {
		assertThat(wait(headers("retry-after-ms", "soon", "retry-after", "3"))).isEqualTo(Duration.ofSeconds(3));
		assertThat(wait(headers("retry-after-ms", "-5"))).isEqualTo(Duration.ofSeconds(10));
		assertThat(wait(headers("retry-after", "Tomorrow-ish"))).isEqualTo(Duration.ofSeconds(10));
		assertThat(wait(headers("retry-after", "NaN"))).isEqualTo(Duration.ofSeconds(10));
		assertThat(wait(headers("x-ratelimit-reset-tokens", "6 minutes"))).isEqualTo(Duration.ofSeconds(10));
		assertThat(wait(headers("x-ratelimit-reset-tokens", "1e309s"))).isEqualTo(Duration.ofSeconds(10));
		assertThat(wait(headers())).isEqualTo(Duration.ofSeconds(10));
	}

	@Test
	void waitsAreClampedToTheConfiguredRange() {
		assertThat(wait(headers("retry-after", "86400"))).isEqualTo(Duration.ofSeconds(120));
		assertThat(wait(headers("retry-after-ms", "3"))).isEqualTo(Duration.ofMillis(100));
		String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochMilli(now - 60_000).atOffset(ZoneOffset.UTC));
		assertThat(wait(headers("retry-after", past))).isEqualTo(Duration.ofMillis(100));
	}

	/** Every retry hint a backend gives, in the forms backends send: one row each, alone. */
	@ParameterizedTest(name = "{0}: {1}")
	@CsvSource(delimiter = '|', textBlock = """
			retry-after-ms              | 1500                           | 1500
			retry-after-ms              | 250.5                          | 250.5
			x-ms-retry-after-ms         | 7000                           | 7000
			retry-after                 | 4                              | 4000
			retry-after                 | 0.75                           | 750
			retry-after                 | Tue, 14 Nov 2023 22:13:50 GMT  | 30000
			x-ratelimit-reset-requests  | 12ms                           | 100
			x-ratelimit-reset-requests  | 1s                             | 1000
			x-ratelimit-reset-tokens    | 6m0s                           | 120000
			x-ratelimit-reset-tokens    | 2.5s                           | 2500
			x-ratelimit-reset-tokens    | 1m30.5s                        | 90500
			body                        | {"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17s"}]}} | 17000
			body                        | [{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay": "1.5s"}]}}] | 1500
			body                        | {"error":{"code":429,"message":"Resource has been exhausted"}} | 10000
			""")
	void everyRetryHintIsReadInItsRealForm(String hint, String value, double expectedMillis) {
		HttpHeaders headers = hint.equals("body") ? headers() : headers(hint, value);
		String body = hint.equals("body") ? value : null;

		assertThat(durations.of(headers, body, now)).isEqualTo(Duration.ofNanos((long) (expectedMillis * 1_000_000)));
	}

	@Test
	void aHeaderHintOutranksTheBodysRetryDelayWhichOutranksTheResetHeaders() {
		String body = "{\"error\":{\"details\":[{\"retryDelay\":\"20s\"}]}}";

		assertThat(durations.of(headers("retry-after", "3"), body, now)).isEqualTo(Duration.ofSeconds(3));
		assertThat(durations.of(headers("x-ratelimit-reset-tokens", "50s"), body, now)).isEqualTo(Duration.ofSeconds(20));
	}

	private Duration wait(HttpHeaders headers) {
		return durations.of(headers, now);
	}

	private static HttpHeaders headers(String... namesAndValues) {
		HttpHeaders headers = new HttpHeaders();
		for (int i = 0; i < namesAndValues.length; i += 2) {
			headers.add(namesAndValues[i], namesAndValues[i + 1]);
		}
		return headers;
	}

}
