package dev.spillway.gateway.request;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.RawHttp;
import dev.spillway.gateway.TestGatewayApplication;
import dev.spillway.gateway.TestRedis;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Generated hostile requests against a running gateway: whatever arrives, the answer is a success or an OpenAI-style
 * error with a 4xx status, never a 5xx, never a stack trace. Every property counts its tries into {@link #TRIED},
 * printed when the class ends.
 */
class HostileRequestTests {

	static final AtomicLong TRIED = new AtomicLong();

	static final int MAX_BODY = 16 * 1024;

	static final JsonMapper json = JsonMapper.builder().build();

	static final String GOOD = "{\"model\":\"gpt-4o\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi there\"}]}";

	static MockOpenAiServer backend;

	static ConfigurableApplicationContext gateway;

	static int port;

	@BeforeContainer
	static void start() {
		// No pause between streamed tokens: a generated max_tokens near the model's cap would stream for over a minute.
		backend = MockOpenAiServer.start(MockDeployment.unlimited("gpt-4o").withInterTokenDelay(Duration.ZERO));
		gateway = new SpringApplicationBuilder(TestGatewayApplication.class).properties("server.port=0",
				"spring.data.redis.url=" + TestRedis.sharedUrl(), "spillway.shared-state.key-prefix=hostile-" + System.nanoTime(),
				"spillway.request.max-body-size=" + MAX_BODY + "B", "spillway.jobs.enabled=false",
				"spillway.pools.gpt.models=gpt-4o", "spillway.pools.gpt.backends[0].id=mock",
				"spillway.pools.gpt.backends[0].type=azure", "spillway.pools.gpt.backends[0].deployment=gpt-4o",
				"spillway.pools.gpt.backends[0].url=" + backend.baseUrl(), "logging.level.root=WARN",
				// The most exposed pool there is: any name, passed on as the Azure deployment.
				"spillway.pools.open.models=*", "spillway.pools.open.backends[0].id=open",
				"spillway.pools.open.backends[0].type=azure", "spillway.pools.open.backends[0].url=" + backend.baseUrl())
			.run("--spring.cloud.gateway.server.webflux.routes[0].id=openai-form",
					"--spring.cloud.gateway.server.webflux.routes[0].uri=lb://gpt",
					"--spring.cloud.gateway.server.webflux.routes[0].predicates[0]=Path=/v1/**",
					"--spring.cloud.gateway.server.webflux.routes[1].id=azure-form",
					"--spring.cloud.gateway.server.webflux.routes[1].uri=lb://gpt",
					"--spring.cloud.gateway.server.webflux.routes[1].predicates[0]=Path=/openai/deployments/**",
					"--spring.cloud.gateway.server.webflux.routes[2].id=open",
					"--spring.cloud.gateway.server.webflux.routes[2].uri=lb://open",
					"--spring.cloud.gateway.server.webflux.routes[2].predicates[0]=Path=/open/**");
		port = ((WebServerApplicationContext) gateway).getWebServer().getPort();
	}

	@AfterContainer
	static void stop() {
		System.out.println("HostileRequestTests: " + TRIED.get() + " generated requests tried");
		gateway.close();
		backend.close();
	}

	@Property(tries = 300)
	void arbitraryBytesAreA400(@ForAll @Size(max = 2000) byte[] body) {
		assertOpenAiError(post(body, "Authorization: Bearer sk-acme"), 400);
	}

	@Property(tries = 300)
	void brokenJsonIsAnsweredOrRefusedCleanly(@ForAll("brokenJson") String body) {
		assertAnsweredOrClientError(post(body.getBytes(StandardCharsets.UTF_8), "Authorization: Bearer sk-acme"));
	}

	@Property(tries = 300)
	void invalidUtf8InsideStringsIsA400(@ForAll @Size(min = 1, max = 40) byte[] garbage) {
		byte[] head = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"".getBytes(StandardCharsets.UTF_8);
		byte[] tail = "\"}]}".getBytes(StandardCharsets.UTF_8);
		byte[] body = new byte[head.length + garbage.length + 1 + tail.length];
		System.arraycopy(head, 0, body, 0, head.length);
		System.arraycopy(garbage, 0, body, head.length, garbage.length);
		body[head.length + garbage.length] = (byte) 0xC3; // a lead byte with no continuation: never valid UTF-8
		System.arraycopy(tail, 0, body, head.length + garbage.length + 1, tail.length);
		assertOpenAiError(post(body, "Authorization: Bearer sk-acme"), 400);
	}

	@Property(tries = 400)
	void fieldsOfTheWrongTypeAreRefusedCleanly(@ForAll("model") String model, @ForAll("messages") String messages,
			@ForAll("anyJson") String stream, @ForAll("anyJson") String maxTokens, @ForAll("anyJson") String temperature) {
		String body = "{\"model\":" + model + ",\"messages\":" + messages + ",\"stream\":" + stream + ",\"max_tokens\":"
				+ maxTokens + ",\"temperature\":" + temperature + "}";
		RawHttp.Response response = post(body.getBytes(StandardCharsets.UTF_8), "Authorization: Bearer sk-acme");
		assertAnsweredOrClientError(response);
	}

	@Property(tries = 200)
	void hugeNumbersAreAnsweredOrRefusedCleanly(@ForAll("hugeNumber") String number, @ForAll("numericField") String field) {
		String body = "{\"model\":\"gpt-4o\",\"" + field + "\":" + number
				+ ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		assertAnsweredOrClientError(post(body.getBytes(StandardCharsets.UTF_8), "Authorization: Bearer sk-acme"));
	}

	@Property(tries = 60)
	void deepNestingIsAnsweredOrRefusedCleanly(@ForAll @IntRange(min = 1, max = 20_000) int depth) {
		String nested = "[".repeat(depth) + "]".repeat(depth);
		String body = "{\"model\":\"gpt-4o\",\"metadata\":{\"x\":" + nested
				+ "},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		RawHttp.Response response = post(body.getBytes(StandardCharsets.UTF_8), "Authorization: Bearer sk-acme");
		if (body.length() > MAX_BODY) {
			assertOpenAiError(response, 413);
		}
		else {
			assertAnsweredOrClientError(response);
		}
	}

	@Property(tries = 40)
	void oversizedBodiesAreA413WithOrWithoutALength(@ForAll @IntRange(min = MAX_BODY + 1, max = MAX_BODY * 8) int size,
			@ForAll boolean chunked) {
		byte[] body = ("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(size) + "\"}]}")
			.getBytes(StandardCharsets.UTF_8);
		RawHttp.Response response;
		if (chunked) {
			String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
					+ "Authorization: Bearer sk-acme\r\nTransfer-Encoding: chunked";
			byte[] prefix = (Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
			byte[] suffix = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
			byte[] framed = new byte[prefix.length + body.length + suffix.length];
			System.arraycopy(prefix, 0, framed, 0, prefix.length);
			System.arraycopy(body, 0, framed, prefix.length, body.length);
			System.arraycopy(suffix, 0, framed, prefix.length + body.length, suffix.length);
			TRIED.incrementAndGet();
			response = RawHttp.send(port, head, framed);
		}
		else {
			response = post(body, "Authorization: Bearer sk-acme");
		}
		assertOpenAiError(response, 413);
	}

	@Property(tries = 40)
	void oversizedHeadersAreRefusedByTheServerNotAnsweredWithA5xx(@ForAll @IntRange(min = 9_000, max = 100_000) int size) {
		RawHttp.Response response = post(GOOD.getBytes(StandardCharsets.UTF_8),
				"Authorization: Bearer sk-acme\r\nx-padding: " + "p".repeat(size));
		// Netty refuses the request line and headers before Spring sees them: a status without a body, or, when the
		// client is still sending headers it will not read, a closed connection (0).
		assertThat(response.status()).isIn(0, 400, 431);
	}

	@Property(tries = 200)
	void controlCharactersInHeaderValuesNeverSplitTheResponse(@ForAll("controlCharacter") char control,
			@ForAll("headerName") String header) {
		RawHttp.Response response = post(GOOD.getBytes(StandardCharsets.UTF_8),
				"Authorization: Bearer sk-acme\r\n" + header + ": abc" + control + "injected: yes");
		assertThat(response.headers()).doesNotContainKey("injected");
		assertThat(response.status()).isNotEqualTo(0).isLessThan(500);
		String id = response.headers().get("x-request-id");
		if (id != null) {
			assertThat(id).matches("[A-Za-z0-9._:-]+");
		}
	}

	@Property(tries = 200)
	void unknownFieldsArePassedThrough(@ForAll("fieldName") String name, @ForAll("anyJson") String value) {
		String body = "{\"model\":\"gpt-4o\",\"" + name + "\":" + value
				+ ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		RawHttp.Response response = post(body.getBytes(StandardCharsets.UTF_8), "Authorization: Bearer sk-acme");
		assertAnsweredOrClientError(response);
	}

	@Property(tries = 200)
	void unknownKeysAreA401(@ForAll("apiKey") String key, @ForAll boolean azureHeader) {
		assertOpenAiError(post(GOOD.getBytes(StandardCharsets.UTF_8),
				azureHeader ? "api-key: " + key : "Authorization: Bearer " + key), 401);
	}

	@Property(tries = 100)
	void unknownModelsAreA404(@ForAll("modelName") String model) {
		String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		assertOpenAiError(post(body.getBytes(StandardCharsets.UTF_8), "Authorization: Bearer sk-acme"), 404);
	}

	@Property(tries = 100)
	void controlCharactersInAModelAreA400NamingTheField(@ForAll("controlCharacter") char control,
			@ForAll boolean openPool) {
		String model = quote("gpt-4o" + control + "request_id=forged status=200");
		String body = "{\"model\":" + model + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		TRIED.incrementAndGet();
		RawHttp.Response response = RawHttp.post(port, openPool ? "/open/v1/chat/completions" : "/v1/chat/completions",
				"Authorization: Bearer sk-acme", body.getBytes(StandardCharsets.UTF_8));
		assertOpenAiError(response, 400);
		assertThat(json.readTree(response.body()).path("error").path("param").asString()).isEqualTo("model");
		assertThat(response.headers()).doesNotContainKey("x-spillway-model");
	}

	@Property(tries = 100)
	void deploymentsThatAreNotOnePathSegmentAreA400NamingTheField(@ForAll("hostileSegment") String segment) {
		TRIED.incrementAndGet();
		RawHttp.Response response = RawHttp.post(port, "/open/openai/deployments/" + segment
				+ "/chat/completions?api-version=2024-10-21", "Authorization: Bearer sk-acme",
				GOOD.getBytes(StandardCharsets.UTF_8));
		assertOpenAiError(response, 400);
		assertThat(json.readTree(response.body()).path("error").path("param").asString()).isEqualTo("deployment");
	}

	@Property(tries = 100)
	void aBodyModelThatWouldBecomeAPathOnAnAzureBackendIsA400(@ForAll("hostileModel") String model) {
		String body = "{\"model\":" + quote(model) + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		TRIED.incrementAndGet();
		RawHttp.Response response = RawHttp.post(port, "/open/v1/chat/completions", "Authorization: Bearer sk-acme",
				body.getBytes(StandardCharsets.UTF_8));
		assertOpenAiError(response, 400);
		assertThat(json.readTree(response.body()).path("error").path("param").asString()).isEqualTo("model");
	}

	@Property(tries = 20)
	void namesOpenAiCompatibleServersUseAreNotRefusedAsInvalid(
			@ForAll("compatibleModel") String model) {
		String body = "{\"model\":" + quote(model) + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
		// The pool lists only gpt-4o: a well-formed name it does not serve is 404, not 400.
		assertOpenAiError(post(body.getBytes(StandardCharsets.UTF_8), "Authorization: Bearer sk-acme"), 404);
	}

	private static RawHttp.Response post(byte[] body, String headers) {
		TRIED.incrementAndGet();
		return RawHttp.post(port, "/v1/chat/completions", headers, body);
	}

	private static void assertAnsweredOrClientError(RawHttp.Response response) {
		if (response.status() == 200) {
			assertThat(response.body()).contains("\"choices\"");
			return;
		}
		assertThat(response.status()).isBetween(400, 499);
		assertOpenAiError(response, response.status());
	}

	private static void assertOpenAiError(RawHttp.Response response, int status) {
		assertThat(response.status()).as(response.body()).isEqualTo(status);
		assertThat(response.headers().get("content-type")).startsWith("application/json");
		JsonNode error = json.readTree(response.body()).path("error");
		assertThat(error.path("message").isString()).isTrue();
		assertThat(error.path("type").isString()).isTrue();
		assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain(".java:");
	}

	@Provide
	Arbitrary<String> brokenJson() {
		Arbitrary<Integer> cut = Arbitraries.integers().between(0, GOOD.length() - 1);
		Arbitrary<Character> character = Arbitraries.chars().all();
		return Combinators.combine(cut, character, Arbitraries.integers().between(0, 2)).as((at, c, how) -> switch (how) {
			case 0 -> GOOD.substring(0, at);
			case 1 -> GOOD.substring(0, at) + c + GOOD.substring(at + 1);
			default -> GOOD.substring(0, at) + c + GOOD.substring(at);
		});
	}

	@Provide
	Arbitrary<String> anyJson() {
		return Arbitraries.oneOf(Arbitraries.just("null"), Arbitraries.of("true", "false"),
				Arbitraries.integers().map(String::valueOf), Arbitraries.doubles().map(String::valueOf),
				Arbitraries.strings().ofMaxLength(20).map(HostileRequestTests::quote), Arbitraries.just("[]"),
				Arbitraries.just("{}"), Arbitraries.just("[1,\"a\",null]"), Arbitraries.just("{\"a\":{\"b\":[]}}"));
	}

	@Provide
	Arbitrary<String> model() {
		return Arbitraries.oneOf(Arbitraries.just("\"gpt-4o\""), anyJson());
	}

	@Provide
	Arbitrary<String> messages() {
		Arbitrary<String> message = Combinators.combine(Arbitraries.of("\"user\"", "\"system\"", "\"assistant\"", "\"tool\"",
				"\"\"", "1", "null"), anyJson()).as((role, content) -> "{\"role\":" + role + ",\"content\":" + content + "}");
		return Arbitraries.oneOf(anyJson(), message.list().ofMaxSize(3).map(list -> "[" + String.join(",", list) + "]"));
	}

	@Provide
	Arbitrary<String> hugeNumber() {
		return Arbitraries.oneOf(Arbitraries.strings().numeric().ofMinLength(19).ofMaxLength(5000),
				Arbitraries.of("1e400", "-1e400", "1e-400", "9223372036854775808", "-9223372036854775809", "-1", "0",
						"1.7976931348623157E309", "123456789012345678901234567890.5"));
	}

	@Provide
	Arbitrary<String> numericField() {
		return Arbitraries.of("max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "seed",
				"presence_penalty", "frequency_penalty");
	}

	@Provide
	Arbitrary<Character> controlCharacter() {
		return Arbitraries.of('\r', '\n', '\u0000', '\u000b', '\u000c', '\u007f', '\t');
	}

	@Provide
	Arbitrary<String> hostileSegment() {
		Arbitrary<String> fixed = Arbitraries.of(".", "..", "%2e", "%2e%2e", "%2E%2E", ".%2e", "a%2Fb", "%2F",
				"a%5Cb", "a%25b", "%0d%0ainjected", "%0a", "%00", "gpt-4o%0d%0aSet-Cookie:x=1");
		Arbitrary<String> encodedControl = Arbitraries.integers().between(0, 31).map(c -> "gpt%" + String.format("%02x", c));
		Arbitrary<String> tooLong = Arbitraries.integers().between(257, 2000).map("d"::repeat);
		return Arbitraries.oneOf(fixed, encodedControl, tooLong);
	}

	@Provide
	Arbitrary<String> hostileModel() {
		return Arbitraries.oneOf(Arbitraries.of(".", "..", "../../v1/files", "a/b", "a\\b", "100%", "gpt-4o/../x"),
				Arbitraries.integers().between(257, 2000).map("m"::repeat));
	}

	@Provide
	Arbitrary<String> compatibleModel() {
		return Arbitraries.of("ft:gpt-4o:org::id", "meta-llama/Llama-3-8B", "claude-3-5-sonnet@20240620",
				"llama3.1:8b", "Qwen/Qwen2.5-7B-Instruct", "x".repeat(256));
	}

	@Provide
	Arbitrary<String> headerName() {
		return Arbitraries.of("x-request-id", "x-spillway-task", "x-spillway-max-wait", "idempotency-key", "prefer",
				"x-custom");
	}

	@Provide
	Arbitrary<String> fieldName() {
		return Arbitraries.strings().alpha().numeric().withChars('_', '-').ofMinLength(1).ofMaxLength(30)
			.filter(name -> !List.of("model", "messages", "stream", "max_tokens", "temperature", "n", "tools", "functions",
					"stream_options", "logprobs", "top_logprobs", "tool_choice", "function_call").contains(name));
	}

	@Provide
	Arbitrary<String> apiKey() {
		return Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(200)
			.filter(key -> !key.equals("sk-acme") && !key.equals("sk-globex"));
	}

	@Provide
	Arbitrary<String> modelName() {
		return Arbitraries.strings().alpha().numeric().withChars('-', '.', '_').ofMinLength(1).ofMaxLength(60)
			.filter(name -> !name.equals("gpt-4o"));
	}

	private static String quote(String text) {
		return json.writeValueAsString(text);
	}

}
