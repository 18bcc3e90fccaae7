package dev.spillway.mock;

import java.time.Duration;

/**
 * One simulated model deployment: its own token and request budget per minute and its streaming pace.
 *
 * @param name the Azure deployment name, also accepted as the OpenAI {@code model} value
 * @param tokensPerMinute token budget per minute; 0 means unlimited
 * @param requestsPerMinute request budget per minute; 0 means unlimited
 * @param interTokenDelay pause between streamed content chunks
 * @param completionTokens how many content chunks an answer has when the request sets no {@code max_tokens}
 */
public record MockDeployment(String name, int tokensPerMinute, int requestsPerMinute, Duration interTokenDelay,
		int completionTokens) {

	public static MockDeployment unlimited(String name) {
		return new MockDeployment(name, 0, 0, Duration.ofMillis(5), 12);
	}

	public MockDeployment withTokensPerMinute(int tokens) {
		return new MockDeployment(name, tokens, requestsPerMinute, interTokenDelay, completionTokens);
	}

	public MockDeployment withRequestsPerMinute(int requests) {
		return new MockDeployment(name, tokensPerMinute, requests, interTokenDelay, completionTokens);
	}

	public MockDeployment withInterTokenDelay(Duration delay) {
		return new MockDeployment(name, tokensPerMinute, requestsPerMinute, delay, completionTokens);
	}

	public MockDeployment withCompletionTokens(int tokens) {
		return new MockDeployment(name, tokensPerMinute, requestsPerMinute, interTokenDelay, tokens);
	}

}
