package dev.spillway.gateway.routing;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two gateway instances on one Redis, a PTU ("ptu", priority 1) with a small token budget that reports what it has
 * left and its utilization, and a pay-as-you-go backend ("paygo", priority 2). With the proactive spill on, what
 * one instance learns of the PTU's room reaches the other, which then passes the PTU over before it answers 429.
 */
class ProactiveSpillTests {

	/** About 525 tokens as the mock counts them (its prompt estimate plus max_tokens). */
	static final String CHAT = """
			{"model":"gpt-4o","max_tokens":500,"messages":[{"role":"user","content":"Hello"}]}""";

	private final MockOpenAiServer backend = MockOpenAiServer.start(
			new MockDeployment("ptu", 1200, 0, Duration.ZERO, 10), MockDeployment.unlimited("paygo"));

	private final PtuAndPaygo gateways = new PtuAndPaygo(backend, null);

	@AfterEach
	void stop() {
		gateways.close();
		backend.close();
	}

	@Test
	void whatOneInstanceLearnsOfThePtusRoomReachesTheOtherWhichSpillsBeforeA429() {
		ConfigurableApplicationContext one = gateways.start(Map.of("spillway.routing.headroom.proactive", true));
		ConfigurableApplicationContext two = gateways.start(Map.of("spillway.routing.headroom.proactive", true));
		gateways.awaitListening();

		assertThat(servedBy(one)).isEqualTo("ptu");
		assertThat(servedBy(one)).isEqualTo("ptu");
		BackendState ptuOnTwo = two.getBean(PoolRegistry.class).instance("gpt", "ptu").state();
		await().atMost(Duration.ofSeconds(5)).until(() -> ptuOnTwo.remainingTokens() >= 0
				&& ptuOnTwo.remainingTokens() < 525);

		assertThat(servedBy(two)).as("instance two never asked the PTU, yet knows it has no room").isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).as("no request reached the PTU to be refused").isEqualTo(2);
	}

	@Test
	void withTheProactiveSpillOffTheOtherInstanceLearnsOnlyFromTheBackends429() {
		ConfigurableApplicationContext one = gateways.start(Map.of());
		ConfigurableApplicationContext two = gateways.start(Map.of());
		gateways.awaitListening();

		assertThat(servedBy(one)).isEqualTo("ptu");
		assertThat(servedBy(one)).isEqualTo("ptu");

		assertThat(servedBy(two)).isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).as("instance two's request was refused by the PTU first").isEqualTo(3);
	}

	@Test
	void aPtuReportingUtilizationAboveTheLevelIsPassedOverByEveryInstance() {
		Map<String, Object> utilization = Map.of("spillway.routing.headroom.proactive", true,
				"spillway.routing.headroom.utilization-level", 40, "spillway.routing.headroom.utilization-hold", "60s");
		ConfigurableApplicationContext one = gateways.start(utilization);
		ConfigurableApplicationContext two = gateways.start(utilization);
		gateways.awaitListening();

		// A small request: room is left, but 525 of 1,200 tokens is over 40 % in use.
		assertThat(servedBy(one)).isEqualTo("ptu");
		BackendState ptuOnTwo = two.getBean(PoolRegistry.class).instance("gpt", "ptu").state();
		await().atMost(Duration.ofSeconds(5)).until(() -> ptuOnTwo.headroom().last().utilization() >= 40);

		assertThat(servedBy(one, 10)).isEqualTo("paygo");
		assertThat(servedBy(two, 10)).isEqualTo("paygo");
		assertThat(backend.requestCount("ptu")).isEqualTo(1);
	}

	private static String servedBy(ConfigurableApplicationContext instance) {
		return PtuAndPaygo.servedBy(instance, CHAT);
	}

	private static String servedBy(ConfigurableApplicationContext instance, int maxTokens) {
		return PtuAndPaygo.servedBy(instance, CHAT.replace("\"max_tokens\":500", "\"max_tokens\":" + maxTokens));
	}

}
