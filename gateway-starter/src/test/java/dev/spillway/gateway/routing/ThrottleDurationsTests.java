package dev.spillway.gateway.routing;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.junit.jupiter.api.Test;

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
