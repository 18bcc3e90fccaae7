package dev.spillway.gateway.jobs;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** Who may call as a job worker, and where a worker's call may go. */
class JobCallerTests {

	private final JobToken token = new JobToken();

	private final JobCallerFilter filter = new JobCallerFilter(token);

	@Test
	void theRightTokenOverLoopbackRunsAsTheJobsTenant() {
		ServerWebExchange passed = filtered(new InetSocketAddress("127.0.0.1", 50000), token.value());

		assertThat((String) passed.getAttribute(JobCallerFilter.TENANT_ATTRIBUTE)).isEqualTo("acme");
		assertThat((String) passed.getAttribute(JobCallerFilter.JOB_ATTRIBUTE)).isEqualTo("job_1");
		assertThat(passed.getRequest().getHeaders().containsHeader(JobToken.TOKEN_HEADER)).isFalse();
	}

	@Test
	void theRightTokenFromAnotherHostIsNotAccepted() {
		ServerWebExchange passed = filtered(new InetSocketAddress("192.0.2.10", 50000), token.value());

		assertThat((String) passed.getAttribute(JobCallerFilter.TENANT_ATTRIBUTE)).isNull();
		assertThat(passed.getRequest().getHeaders().containsHeader(JobToken.TOKEN_HEADER)).isFalse();
		assertThat(passed.getRequest().getHeaders().containsHeader(JobToken.TENANT_HEADER)).isFalse();
	}

	@Test
	void aWrongTokenOverLoopbackIsNotAccepted() {
		ServerWebExchange passed = filtered(new InetSocketAddress("127.0.0.1", 50000), "guess");

		assertThat((String) passed.getAttribute(JobCallerFilter.TENANT_ATTRIBUTE)).isNull();
	}

	@Test
	void aWorkersUriAlwaysNamesThisInstance() {
		URI uri = JobWorkers.gatewayUri(8080, "/openai/deployments/gpt-4o/chat/completions", "api-version=2024-10-21");

		assertThat(uri).hasToString("http://127.0.0.1:8080/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21");
		assertThat(JobWorkers.gatewayUri(8080, "//elsewhere.example:80/v1/chat/completions", null).getHost())
			.isEqualTo("127.0.0.1");
		assertThatIllegalArgumentException().isThrownBy(() -> JobWorkers.gatewayUri(8080, "@elsewhere/x", null));
		assertThatIllegalArgumentException().isThrownBy(() -> JobWorkers.gatewayUri(8080, "/a b", null));
	}

	private ServerWebExchange filtered(InetSocketAddress remote, String presented) {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/v1/chat/completions")
			.remoteAddress(remote)
			.header(JobToken.TOKEN_HEADER, presented)
			.header(JobToken.TENANT_HEADER, "acme")
			.header(JobCallerFilter.JOB_HEADER, "job_1"));
		AtomicReference<ServerWebExchange> passed = new AtomicReference<>();
		filter.filter(exchange, next -> {
			passed.set(next);
			return Mono.empty();
		}).block();
		return passed.get();
	}

}
