package dev.spillway.clients;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Spends a tenant's requests with plain HTTP calls, so that the client under test meets the tenant's 429. */
final class TenantBudget {

	private static final HttpClient http = HttpClient.newHttpClient();

	private TenantBudget() {
	}

	/**
	 * Sends embeddings requests for {@code key} until the gateway refuses one with a wait of at least {@code atLeast},
	 * and returns that wait. Right after, the tenant's next request is refused for about as long.
	 */
	static Duration spend(SampleGateway gateway, String key, Duration atLeast) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.url("/v1/embeddings")))
			.header("Authorization", "Bearer " + key)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"text-embedding-3-small\",\"input\":\"spend\"}"))
			.timeout(Duration.ofSeconds(30))
			.build();
		for (int sent = 0; sent < 500; sent++) {
			HttpResponse<Void> answer = http.send(request, HttpResponse.BodyHandlers.discarding());
			if (answer.statusCode() == 429) {
				long waitMs = Long.parseLong(answer.headers().firstValue("retry-after-ms").orElseThrow());
				if (waitMs >= atLeast.toMillis()) {
					return Duration.ofMillis(waitMs);
				}
				// A request fits again in a moment: take it, so that the next one waits a whole refill period.
				Thread.sleep(waitMs + 10);
			}
			else if (answer.statusCode() != 200) {
				throw new IllegalStateException("Unexpected answer " + answer.statusCode() + " while spending " + key);
			}
		}
		throw new IllegalStateException("The gateway never refused " + key + " for " + atLeast);
	}

}
