package dev.spillway.gateway.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.PendingMessages;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.GatewayClient;
import dev.spillway.gateway.GatewayClient.Answer;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestRedis;
import dev.spillway.gateway.TestWireMock;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the review found in async jobs, each through real HTTP and a real Redis: results the worker could not read
 * were sent upstream again forever, submissions bypassed the tenant's limits and caps, counts leaked, a stale job
 * could hide behind live ones, the worker's headers and URI could be abused, and a job was counted twice.
 */
class JobSafetyTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Summarise it\"}]}";

	private final String prefix = "jobs-" + UUID.randomUUID();

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	private final List<AutoCloseable> resources = new ArrayList<>();

	@AfterEach
	void stop() throws Exception {
		instances.forEach(ConfigurableApplicationContext::close);
		for (AutoCloseable resource : resources) {
			resource.close();
		}
	}

	@Test
	void aResultLargerThanAWebClientBufferIsKeptAndTheCallIsMadeOnce() {
		WireMockServer backend = wireMock();
		backend.stubFor(post(urlPathMatching(".*/chat/completions")).willReturn(answerOf(300 * 1024)));
		GatewayClient gateway = client(start(backend.baseUrl(), Map.of()));

		String id = submitted(gateway, "sk-acme", CHAT, Map.of());

		JsonNode done = awaitStatus(gateway, id, "succeeded");
		assertThat(done.path("result").path("body").path("choices").get(0).path("message").path("content").asString())
			.hasSize(300 * 1024);
		assertThat(pendingJobs()).isZero();
		backend.verify(1, postRequestedFor(urlPathMatching(".*/chat/completions")));
	}

	@Test
	void aResultOverTheMaximumEndsTheJobAsFailedAndIsNeverSentAgain() {
		WireMockServer backend = wireMock();
		backend.stubFor(post(urlPathMatching(".*/chat/completions")).willReturn(answerOf(300 * 1024)));
		GatewayClient gateway = client(start(backend.baseUrl(), Map.of("spillway.jobs.max-result-size", "100KB")));

		String id = submitted(gateway, "sk-acme", CHAT, Map.of());

		JsonNode done = awaitStatus(gateway, id, "failed");
		assertThat(done.path("error").path("code").asString()).isEqualTo("result_too_large");
		assertThat(pendingJobs()).as("acknowledged, so no instance takes it over").isZero();
		backend.verify(1, postRequestedFor(urlPathMatching(".*/chat/completions")));
	}

	@Test
	void theWorkersCallIsTheRequestTheClientSentWithTheJobIdAsIdempotencyKey() {
		WireMockServer backend = wireMock();
		backend.stubFor(post(urlPathMatching(".*/chat/completions")).willReturn(answerOf(10)));
		GatewayClient gateway = client(start(backend.baseUrl(), Map.of()));

		String id = submitted(gateway, "sk-acme", "/openai/deployments/gpt-4o/chat/completions?api-version=2025-03-01-preview",
				CHAT, Map.of("OpenAI-Beta", "assistants=v2"));

		awaitStatus(gateway, id, "succeeded");
		backend.verify(1, postRequestedFor(urlPathMatching(".*/chat/completions"))
			.withQueryParam("api-version", equalTo("2025-03-01-preview"))
			.withHeader("Idempotency-Key", equalTo(id))
			.withHeader("OpenAI-Beta", equalTo("assistants=v2"))
			.withoutHeader(JobToken.TOKEN_HEADER)
			.withoutHeader(JobToken.TENANT_HEADER));
	}

	@Test
	void aSubmissionTakesARequestFromTheTenantsBucketAndItsCallTakesNoSecondOne() {
		MockOpenAiServer backend = mock();
		GatewayClient gateway = client(start(backend.baseUrl(), Map.of("spillway.limits.tiers.small.requests-per-minute", 2,
				"spillway.tenants.acme.tier", "small")));

		String first = submitted(gateway, "sk-acme", CHAT, Map.of());
		String second = submitted(gateway, "sk-acme", CHAT, Map.of());
		Answer third = submit(gateway, "sk-acme", "/v1/chat/completions", CHAT, Map.of());

		assertThat(third.status()).isEqualTo(429);
		assertThat(third.body()).contains("\"code\":\"rate_limit_exceeded\"");
		assertThat(third.headers().get("Retry-After")).isNotNull();
		awaitStatus(gateway, first, "succeeded");
		awaitStatus(gateway, second, "succeeded");
		assertThat(backend.requestCount("gpt-4o")).isEqualTo(2);
	}

	@Test
	void aSubmissionIsRefusedOnceTheDailyQuotaIsSpent() {
		MockOpenAiServer backend = mock(MockDeployment.unlimited("gpt-4o").withCompletionTokens(80));
		GatewayClient gateway = client(start(backend.baseUrl(), Map.of("spillway.limits.tiers.daily.tokens-per-day", 60,
				"spillway.tenants.acme.tier", "daily", "spillway.limits.default-completion-reservation", 10)));
		String small = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		awaitStatus(gateway, submitted(gateway, "sk-acme", small, Map.of()), "succeeded");

		// The job's call used more than the day's 60 tokens; once it is settled, submissions are refused.
		Answer[] refused = new Answer[1];
		await().atMost(Duration.ofSeconds(10)).until(() -> {
			refused[0] = submit(gateway, "sk-acme", "/v1/chat/completions", small, Map.of());
			return refused[0].status() != 202;
		});

		assertThat(refused[0].status()).isEqualTo(429);
		assertThat(refused[0].body()).contains("\"code\":\"daily_quota_exceeded\"");
	}

	@Test
	void theBytesATenantsJobsKeepAreCapped() {
		MockOpenAiServer backend = mock();
		GatewayClient gateway = client(start(backend.baseUrl(), Map.of("spillway.jobs.max-stored-bytes-per-tenant", "8KB")));
		String large = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(5000) + "\"}]}";

		submitted(gateway, "sk-acme", large, Map.of());
		Answer refused = submit(gateway, "sk-acme", "/v1/chat/completions", large, Map.of());
		Answer otherTenant = submit(gateway, "sk-globex-plain", "/v1/chat/completions", large, Map.of());

		assertThat(refused.status()).isEqualTo(429);
		assertThat(refused.body()).contains("\"code\":\"job_queue_full\"");
		assertThat(otherTenant.status()).as("another tenant's cap").isEqualTo(202);
	}

	@Test
	void aJobWhoseRecordExpiredNoLongerHoldsItsTenantsPlace() {
		MockOpenAiServer backend = mock();
		backend.faults("gpt-4o", "header-delay-ms=20000");
		GatewayClient gateway = client(start(backend.baseUrl(),
				Map.of("spillway.jobs.max-queued-per-tenant", 1, "spillway.jobs.result-ttl", "1s")));
		submitted(gateway, "sk-acme", CHAT, Map.of());
		assertThat(submit(gateway, "sk-acme", "/v1/chat/completions", CHAT, Map.of()).status()).isEqualTo(429);

		await().atMost(Duration.ofSeconds(10))
			.until(() -> submit(gateway, "sk-acme", "/v1/chat/completions", CHAT, Map.of()).status() == 202);
	}

	@Test
	void withRedisAwayJobsAnswer503WithRetryAfterNot500() {
		MockOpenAiServer backend = mock();
		int nothingListens = TestRedis.freePort();
		GatewayClient gateway = client(start(backend.baseUrl(), Map.of("spring.data.redis.url",
				"redis://127.0.0.1:" + nothingListens, "spillway.shared-state.command-timeout", "500ms")));

		Answer submitted = submit(gateway, "sk-acme", "/v1/chat/completions", CHAT, Map.of());
		Answer read = gateway.get("/spillway/jobs/job_123", Map.of("Authorization", "Bearer sk-acme"));

		assertThat(submitted.status()).isEqualTo(503);
		assertThat(submitted.body()).contains("\"code\":\"jobs_unavailable\"");
		assertThat(submitted.headers().get("Retry-After")).isNotNull();
		assertThat(read.status()).isEqualTo(503);
		assertThat(read.body()).contains("\"code\":\"jobs_unavailable\"");
	}

	@Test
	void jobHeadersFromOutsideAreRemovedOnEveryRoute() {
		WireMockServer other = wireMock();
		other.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
		MockOpenAiServer backend = mock();
		Map<String, Object> routes = new HashMap<>();
		routes.put("spring.cloud.gateway.server.webflux.routes[0].id", "openai-form");
		routes.put("spring.cloud.gateway.server.webflux.routes[0].uri", "lb://gpt");
		routes.put("spring.cloud.gateway.server.webflux.routes[0].predicates[0]", "Path=/v1/**");
		routes.put("spring.cloud.gateway.server.webflux.routes[1].id", "not-spillway");
		routes.put("spring.cloud.gateway.server.webflux.routes[1].uri", other.baseUrl());
		routes.put("spring.cloud.gateway.server.webflux.routes[1].predicates[0]", "Path=/other/**");
		GatewayClient gateway = client(start(backend.baseUrl(), routes));

		Answer answer = gateway.post("/other/thing", Map.of(JobToken.TOKEN_HEADER, "guess", JobToken.TENANT_HEADER, "acme",
				JobCallerFilter.JOB_HEADER, "job_1"), "{}");

		assertThat(answer.status()).isEqualTo(200);
		other.verify(1, postRequestedFor(urlPathMatching("/other/thing")).withoutHeader(JobToken.TOKEN_HEADER)
			.withoutHeader(JobToken.TENANT_HEADER)
			.withoutHeader(JobCallerFilter.JOB_HEADER));
	}

	@Test
	void aJobPathThatLooksLikeAnotherHostStaysOnThisGateway() {
		WireMockServer elsewhere = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.2"));
		elsewhere.start();
		resources.add(elsewhere::stop);
		MockOpenAiServer backend = mock();
		GatewayClient gateway = client(start(backend.baseUrl(), Map.of()));
		String id = "job_" + UUID.randomUUID().toString().replace("-", "");

		try (StatefulRedisConnection<String, String> connection = TestRedis.connect(TestRedis.sharedUrl())) {
			RedisCommands<String, String> redis = connection.sync();
			redis.hset(prefix + ":job:{acme}:" + id, Map.of("id", id, "tenant", "acme", "status", "queued", "created_at",
					"0", "path", "//127.0.0.2:" + elsewhere.port() + "/v1/chat/completions", "body", CHAT));
			redis.xadd(prefix + ":jobs", Map.of("tenant", "acme", "id", id));
		}

		awaitStatus(gateway, id, "failed");
		assertThat(elsewhere.findAll(anyRequestedFor(anyUrl()))).as("requests that left the gateway").isEmpty();
	}

	@Test
	void aStaleJobBehindManyLiveOnesIsTakenOver() {
		MockOpenAiServer backend = mock();
		String queue = prefix + ":jobs";
		String stale = "job_" + UUID.randomUUID().toString().replace("-", "");
		try (StatefulRedisConnection<String, String> connection = TestRedis.connect(TestRedis.sharedUrl())) {
			RedisCommands<String, String> redis = connection.sync();
			redis.xgroupCreate(XReadArgs.StreamOffset.from(queue, "0"), JobStore.GROUP,
					io.lettuce.core.XGroupCreateArgs.Builder.mkstream());
			List<String> live = new ArrayList<>();
			for (int i = 0; i < 12; i++) {
				live.add(redis.xadd(queue, Map.of("tenant", "acme", "id", "job_live" + i)));
			}
			redis.hset(prefix + ":job:{acme}:" + stale, Map.of("id", stale, "tenant", "acme", "status", "running",
					"created_at", "0", "path", "/v1/chat/completions", "body", CHAT));
			redis.xadd(queue, Map.of("tenant", "acme", "id", stale));
			// An instance that took all thirteen, keeps working on the first twelve and died holding the last.
			redis.xreadgroup(Consumer.from(JobStore.GROUP, "live-instance"), XReadArgs.Builder.count(13),
					XReadArgs.StreamOffset.lastConsumed(queue));
			ScheduledExecutorService liveInstance = Executors.newSingleThreadScheduledExecutor();
			resources.add(liveInstance::shutdownNow);
			liveInstance.scheduleWithFixedDelay(() -> live.forEach(
					entry -> redis.xclaim(queue, Consumer.from(JobStore.GROUP, "live-instance"), 0, entry)), 0, 200,
					TimeUnit.MILLISECONDS);
			GatewayClient gateway = client(start(backend.baseUrl(), Map.of()));

			await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
				.until(() -> "succeeded".equals(status(gateway, stale).path("status").asString()));
			liveInstance.shutdownNow();
			PendingMessages pending = redis.xpending(queue, JobStore.GROUP);
			assertThat(pending.getCount()).as("the live jobs are still theirs").isEqualTo(12);
		}
	}

	@Test
	void aJobIsCountedOnceInUsageMetrics() {
		MockOpenAiServer backend = mock();
		ConfigurableApplicationContext context = start(backend.baseUrl(), Map.of());
		GatewayClient gateway = client(context);

		String id = submitted(gateway, "sk-acme", CHAT, Map.of());
		JsonNode done = awaitStatus(gateway, id, "succeeded");

		long promptTokens = done.path("result").path("body").path("usage").path("prompt_tokens").asLong();
		MeterRegistry meters = context.getBean(MeterRegistry.class);
		await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
			.until(() -> meters.find("spillway.requests").tag("tenant", "acme").tag("outcome", "success").counter() != null
					&& meters.get("spillway.tokens").tag("tenant", "acme").tag("type", "prompt").counter()
						.count() >= promptTokens);
		assertThat(meters.get("spillway.requests").tag("tenant", "acme").tag("outcome", "success").counter().count())
			.isEqualTo(1);
		assertThat(meters.get("spillway.requests").tag("tenant", "acme").tag("outcome", "queued").counter().count())
			.isEqualTo(1);
		assertThat(meters.get("spillway.tokens").tag("tenant", "acme").tag("type", "prompt").counter().count())
			.isEqualTo(promptTokens);
	}

	@Test
	void theStatusRouteCanBeMovedOrTurnedOff() {
		MockOpenAiServer backend = mock();
		GatewayClient moved = client(start(backend.baseUrl(), Map.of("spillway.jobs.status-path", "/jobs")));
		GatewayClient off = client(start(backend.baseUrl(), Map.of("spillway.jobs.status-enabled", false)));

		Answer accepted = submit(moved, "sk-acme", "/v1/chat/completions", CHAT, Map.of());
		String id = json.readTree(accepted.body()).path("id").asString();

		assertThat(accepted.headers().get("Location")).isEqualTo("/jobs/" + id);
		await().atMost(Duration.ofSeconds(10)).until(() -> "succeeded".equals(json
			.readTree(moved.get("/jobs/" + id, Map.of("Authorization", "Bearer sk-acme")).body())
			.path("status")
			.asString()));
		assertThat(moved.get("/spillway/jobs/" + id, Map.of("Authorization", "Bearer sk-acme")).status()).isEqualTo(404);
		assertThat(off.get("/spillway/jobs/" + id, Map.of("Authorization", "Bearer sk-acme")).status()).isEqualTo(404);
	}

	private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder answerOf(int contentLength) {
		String body = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
				+ "\"message\":{\"role\":\"assistant\",\"content\":\"" + "a".repeat(contentLength)
				+ "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7,\"total_tokens\":16}}";
		return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
	}

	private long pendingJobs() {
		try (StatefulRedisConnection<String, String> connection = TestRedis.connect(TestRedis.sharedUrl())) {
			return connection.sync().xpending(prefix + ":jobs", JobStore.GROUP).getCount();
		}
	}

	private WireMockServer wireMock() {
		WireMockServer server = TestWireMock.started();
		resources.add(server::stop);
		return server;
	}

	private MockOpenAiServer mock() {
		return mock(MockDeployment.unlimited("gpt-4o"));
	}

	private MockOpenAiServer mock(MockDeployment deployment) {
		MockOpenAiServer server = MockOpenAiServer.start(deployment);
		resources.add(server);
		return server;
	}

	private JsonNode awaitStatus(GatewayClient gateway, String id, String status) {
		JsonNode[] last = new JsonNode[1];
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
			last[0] = status(gateway, id);
			return status.equals(last[0].path("status").asString());
		});
		return last[0];
	}

	private static JsonNode status(GatewayClient gateway, String id) {
		return json.readTree(gateway.get("/spillway/jobs/" + id, Map.of("Authorization", "Bearer sk-acme")).body());
	}

	private static String submitted(GatewayClient gateway, String key, String body, Map<String, String> headers) {
		return submitted(gateway, key, "/v1/chat/completions", body, headers);
	}

	private static String submitted(GatewayClient gateway, String key, String path, String body,
			Map<String, String> headers) {
		Answer accepted = submit(gateway, key, path, body, headers);
		assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
		return json.readTree(accepted.body()).path("id").asString();
	}

	private static Answer submit(GatewayClient gateway, String key, String path, String body,
			Map<String, String> headers) {
		Map<String, String> all = new HashMap<>(headers);
		all.put("Authorization", "Bearer " + key);
		all.put("Prefer", "respond-async");
		return gateway.post(path, all, body);
	}

	private ConfigurableApplicationContext start(String backendUrl, Map<String, Object> overrides) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("server.port", 0);
		properties.put("spring.data.redis.url", TestRedis.sharedUrl());
		properties.put("spillway.shared-state.key-prefix", prefix);
		properties.put("spillway.jobs.workers", 1);
		properties.put("spillway.jobs.reclaim-after", "1s");
		properties.put("spillway.jobs.poll-interval", "50ms");
		properties.put("spillway.tenants.globex-plain.keys", "sk-globex-plain");
		properties.put("spillway.pools.gpt.max-wait", "0s");
		properties.put("spillway.pools.gpt.models", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].id", "mock");
		properties.put("spillway.pools.gpt.backends[0].type", "azure");
		properties.put("spillway.pools.gpt.backends[0].deployment", "gpt-4o");
		properties.put("spillway.pools.gpt.backends[0].url", backendUrl);
		// Arguments outrank application.yml (default properties do not), so a test may replace its routes.
		String[] arguments = overrides.entrySet()
			.stream()
			.map(entry -> "--" + entry.getKey() + "=" + entry.getValue())
			.toArray(String[]::new);
		ConfigurableApplicationContext context = new SpringApplicationBuilder(TestGatewayApplication.class)
			.properties(properties)
			.run(arguments);
		instances.add(context);
		return context;
	}

	private static GatewayClient client(ConfigurableApplicationContext context) {
		return new GatewayClient(((WebServerApplicationContext) context).getWebServer().getPort());
	}

}
