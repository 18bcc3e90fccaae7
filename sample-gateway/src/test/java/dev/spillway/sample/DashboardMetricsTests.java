package dev.spillway.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every metric the Grafana dashboard in docs/grafana queries exists in the sample's /actuator/prometheus after the
 * traffic an operator's day brings: a chat, its exact and reworded repeats (the self-check compares every semantic
 * candidate here), a stream, a PTU whose budget another client used up (429, throttle, spill), and a burst.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "spillway.cache.similarity-threshold=0.5", "spillway.cache.self-check.sample-rate=1" })
class DashboardMetricsTests {

	static final Path DASHBOARD = Path.of("..", "docs", "grafana", "spillway-dashboard.json");

	/** PromQL's functions and keywords in the dashboard's queries: what is left of an expression are metric names. */
	static final Set<String> PROMQL = Set.of("sum", "max", "min", "rate", "increase", "histogram_quantile", "by");

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Value("${spillway.demo.ptu-url}")
	String ptuUrl;

	@Test
	void everyMetricTheDashboardQueriesIsExported() throws Exception {
		// The PTU serves, then another client of it (called directly here) uses up its budget: the gateway's next
		// request meets its 429, throttles it and spills to pay-as-you-go.
		assertThat(chat("Hello", false).statusCode()).isEqualTo(200);
		for (int tokens : new int[] { 1900, 900, 400, 200, 100, 50, 25 }) {
			http.send(HttpRequest.newBuilder(URI.create(ptuUrl
					+ "/openai/deployments/gpt-4o-ptu/chat/completions?api-version=2024-10-21"))
				.header("api-key", "demo-ptu-key")
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString("{\"max_tokens\":" + tokens
						+ ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
				.build(), HttpResponse.BodyHandlers.discarding());
		}
		assertThat(chat("Hello again", false).headers().firstValue("x-spillway-backend")).hasValue("paygo");
		// What the live view at /spillway reads: both backends of the demo pool, the PTU throttled, the tenants.
		JsonNode view = JsonMapper.builder().build().readTree(management("/actuator/spillway").body());
		assertThat(view.path("pools").path("gpt-4o").path("ptu").path("state").asString()).isEqualTo("THROTTLED");
		assertThat(view.path("pools").path("gpt-4o").path("paygo").path("requests").asLong()).isPositive();
		assertThat(view.path("pools").path("gpt-4o").path("ptu").path("spilledFrom").asLong()).isPositive();
		assertThat(view.path("tenants").toString()).isEqualTo("[\"demo\"]");
		assertThat(chat("Tell me about the Hoover Dam", false).statusCode()).isEqualTo(200);
		assertThat(chat("Tell me about the Hoover Dam", false).statusCode()).isEqualTo(200);
		// The stored answer is indexed for reworded questions in the background: ask until the self-check compared one.
		await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
			chat("Please tell me about the Hoover Dam", false);
			return scrape().contains("spillway_cache_self_check_total");
		});
		assertThat(chat("Write a haiku about rivers", true).statusCode()).isEqualTo(200);
		List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
		for (int i = 0; i < 12; i++) {
			burst.add(http.sendAsync(request("Summarise chapter " + i + " of the manual", false, 400),
					HttpResponse.BodyHandlers.ofString()));
		}
		burst.forEach(CompletableFuture::join);
		String scrape = scrape();
		Set<String> exported = new TreeSet<>();
		scrape.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
			.map(line -> line.split("[{ ]", 2)[0])
			.forEach(exported::add);

		Set<String> queried = queriedMetrics();
		assertThat(queried).as("the dashboard's metrics").hasSizeGreaterThan(10)
			.contains("spillway_backend_throttles_total", "gen_ai_server_time_to_first_token_seconds_bucket");
		assertThat(exported).as("exported after the traffic").containsAll(queried);
	}

	@Test
	void theLiveViewOfThePoolsIsServedOnTheManagementPortOnly() throws Exception {
		HttpResponse<String> page = management("/spillway");
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
		assertThat(page.body()).contains("actuator/spillway", "setInterval(refresh, 1000)");
		HttpResponse<String> onGatewayPort = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
				+ "/spillway")).build(), HttpResponse.BodyHandlers.ofString());
		assertThat(onGatewayPort.statusCode()).isEqualTo(404);
	}

	private HttpResponse<String> management(String path) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + path)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

	/** The metric names in every panel's queries: label matchers, groupings and functions taken away. */
	private static Set<String> queriedMetrics() throws Exception {
		JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
		Set<String> names = new TreeSet<>();
		Pattern identifier = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
		for (JsonNode panel : dashboard.path("panels")) {
			for (JsonNode target : panel.path("targets")) {
				String expr = target.path("expr").asString()
					.replaceAll("\\{[^}]*\\}", "")
					.replaceAll("by \\([^)]*\\)", "")
					.replaceAll("\\[[^]]*\\]", "");
				Matcher names0 = identifier.matcher(expr);
				while (names0.find()) {
					if (!PROMQL.contains(names0.group())) {
						names.add(names0.group());
					}
				}
			}
		}
		return names;
	}

	private String scrape() throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + "/actuator/prometheus"))
			.build(), HttpResponse.BodyHandlers.ofString()).body();
	}

	private HttpResponse<String> chat(String question, boolean stream) throws Exception {
		return http.send(request(question, stream, 0), HttpResponse.BodyHandlers.ofString());
	}

	private HttpRequest request(String question, boolean stream, int maxTokens) {
		String body = "{\"model\":\"gpt-4o\",\"temperature\":0,\"stream\":" + stream + (maxTokens > 0 ? ",\"max_tokens\":" + maxTokens : "")
				+ ",\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
		return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer sk-spillway-demo")
			.header("Content-Type", "application/json")
			.header("x-spillway-max-wait", "0")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.timeout(Duration.ofSeconds(60))
			.build();
	}

}
