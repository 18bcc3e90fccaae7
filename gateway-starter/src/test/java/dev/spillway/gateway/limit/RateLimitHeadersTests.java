package dev.spillway.gateway.limit;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.spillway.gateway.core.OpenAiHeaders;
import dev.spillway.gateway.limit.Admission.Verdict;
import dev.spillway.gateway.limit.Admission.Where;

import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tenant's {@code x-ratelimit-*} headers: a dimension is described only when it is limited and its remaining
 * amount is known, values replace what was there, and resets are Go durations rounded up to the millisecond.
 */
class RateLimitHeadersTests {

	static final List<String> TOKEN_HEADERS = List.of(OpenAiHeaders.LIMIT_TOKENS, OpenAiHeaders.REMAINING_TOKENS,
			OpenAiHeaders.RESET_TOKENS);

	static final List<String> REQUEST_HEADERS = List.of(OpenAiHeaders.LIMIT_REQUESTS,
			OpenAiHeaders.REMAINING_REQUESTS, OpenAiHeaders.RESET_REQUESTS);

	@Test
	void bothLimitedDimensionsAreDescribed() {
		HttpHeaders headers = new HttpHeaders();

		RateLimitHeaders.set(headers, admission(new Limits(90_000L, 60L, null), 89_500, 332_100_000L, 59,
				1_000_000_000L));

		assertThat(headers.getFirst("x-ratelimit-limit-tokens")).isEqualTo("90000");
		assertThat(headers.getFirst("x-ratelimit-remaining-tokens")).isEqualTo("89500");
		assertThat(headers.getFirst("x-ratelimit-reset-tokens")).isEqualTo("333ms");
		assertThat(headers.getFirst("x-ratelimit-limit-requests")).isEqualTo("60");
		assertThat(headers.getFirst("x-ratelimit-remaining-requests")).isEqualTo("59");
		assertThat(headers.getFirst("x-ratelimit-reset-requests")).isEqualTo("1s");
	}

	static Stream<Arguments> resets() {
		return Stream.of(Arguments.of(0L, "0s"), Arguments.of(1L, "1ms"), Arguments.of(999_000_000L, "999ms"),
				Arguments.of(999_000_001L, "1s"), Arguments.of(1_500_000_000L, "1.5s"),
				Arguments.of(1_234_567_890L, "1.235s"), Arguments.of(59_999_000_001L, "1m0s"),
				Arguments.of(60_000_000_000L, "1m0s"), Arguments.of(61_250_000_000L, "1m1.25s"));
	}

	@ParameterizedTest(name = "{0} ns → {1}")
	@MethodSource("resets")
	void resetsAreGoDurationsRoundedUpToTheMillisecond(long nanos, String expected) {
		HttpHeaders headers = new HttpHeaders();

		RateLimitHeaders.set(headers, admission(new Limits(1000L, 10L, null), 5, nanos, 5, nanos));

		assertThat(headers.getFirst(OpenAiHeaders.RESET_TOKENS)).isEqualTo(expected);
		assertThat(headers.getFirst(OpenAiHeaders.RESET_REQUESTS)).isEqualTo(expected);
	}

	@Test
	void nothingLeftIsStillDescribed() {
		HttpHeaders headers = new HttpHeaders();

		RateLimitHeaders.set(headers, admission(new Limits(1000L, 10L, null), 0, 0, 0, 0));

		assertThat(headers.getFirst(OpenAiHeaders.REMAINING_TOKENS)).isEqualTo("0");
		assertThat(headers.getFirst(OpenAiHeaders.REMAINING_REQUESTS)).isEqualTo("0");
	}

	@Test
	void aLimitedDimensionWhoseRemainingIsUnknownIsLeftOut() {
		HttpHeaders headers = new HttpHeaders();

		RateLimitHeaders.set(headers, admission(new Limits(1000L, 10L, null), -1, 5_000_000L, 7, 5_000_000L));

		assertThat(headers.headerNames()).doesNotContainAnyElementsOf(TOKEN_HEADERS);
		assertThat(headers.getFirst(OpenAiHeaders.REMAINING_REQUESTS)).isEqualTo("7");
	}

	@Test
	void anUnlimitedDimensionIsLeftOutEvenWithARemainingCount() {
		HttpHeaders headers = new HttpHeaders();

		RateLimitHeaders.set(headers, admission(new Limits(null, 10L, 1_000_000L), 500, 5_000_000L, 7, 5_000_000L));

		assertThat(headers.headerNames()).doesNotContainAnyElementsOf(TOKEN_HEADERS);
		assertThat(headers.getFirst(OpenAiHeaders.LIMIT_REQUESTS)).isEqualTo("10");

		HttpHeaders tokensOnly = new HttpHeaders();
		RateLimitHeaders.set(tokensOnly, admission(new Limits(1000L, null, null), 500, 5_000_000L, 7, 5_000_000L));

		assertThat(tokensOnly.headerNames()).doesNotContainAnyElementsOf(REQUEST_HEADERS);
		assertThat(tokensOnly.getFirst(OpenAiHeaders.LIMIT_TOKENS)).isEqualTo("1000");
	}

	@Test
	void anAdmissionThatWasNotEnforcedSetsNoHeaders() {
		HttpHeaders headers = new HttpHeaders();

		RateLimitHeaders.set(headers, Admission.notEnforced(plan(new Limits(1000L, 10L, 50_000L)),
				Verdict.LIMITS_UNAVAILABLE));

		assertThat(headers.isEmpty()).isTrue();
	}

	@Test
	void theTenantsValuesReplaceAnyAlreadySet() {
		HttpHeaders headers = new HttpHeaders();
		headers.add(OpenAiHeaders.LIMIT_TOKENS, "999999");
		headers.add(OpenAiHeaders.REMAINING_REQUESTS, "12345");

		RateLimitHeaders.set(headers, admission(new Limits(1000L, 10L, null), 400, 0, 3, 0));

		assertThat(headers.get(OpenAiHeaders.LIMIT_TOKENS)).containsExactly("1000");
		assertThat(headers.get(OpenAiHeaders.REMAINING_REQUESTS)).containsExactly("3");
	}

	private static Admission admission(Limits limits, long tokensRemaining, long tokensResetNanos,
			long requestsRemaining, long requestsResetNanos) {
		return new Admission(plan(limits), Verdict.ADMITTED, 100, 100, Where.SHARED, 0, tokensRemaining, tokensResetNanos,
				requestsRemaining, requestsResetNanos);
	}

	private static LimitPlan plan(Limits limits) {
		return new LimitPlan("acme", "acme", limits, null, null, "tokens:acme", "requests:acme");
	}

}
