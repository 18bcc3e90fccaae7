package dev.spillway.gateway.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.spillway.gateway.TestClock;
import dev.spillway.mock.MockDeployment;
import dev.spillway.mock.MockOpenAiServer;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two gateway instances on one Redis and one stopped clock, a PTU ("ptu", priority 1) and pay-as-you-go ("paygo",
 * priority 2). The PTU's 429 throttles it for both; when the throttle ends, both ramp its share up together from
 * that moment, rather than sending it all their traffic at once.
 */
class SlowStartTests {

	static final String CHAT = """
			{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"Hello"}]}""";

	private final MockOpenAiServer backend = MockOpenAiServer.start(MockDeployment.unlimited("ptu"),
			MockDeployment.unlimited("paygo"));

	private final TestClock clock = TestClock.stoppedAt(Instant.now());

	private final PtuAndPaygo gateways = new PtuAndPaygo(backend, clock);

	@AfterEach
	void stop() {
		gateways.close();
		backend.close();
	}

	@Test
	void bothInstancesRampTheRecoveredPtuUpFromTheThrottlesSharedEnd() {
		List<ConfigurableApplicationContext> both = throttledPtuOnTwoInstances("10s");

		clock.advance(Duration.ofSeconds(30));
		int[] start = ptuServed(both, 20);
		assertThat(start[0] + start[1]).as("10 % of 40 at the start of the ramp").isLessThan(15);
		assertThat(start[0]).as("instance one, which saw the 429, ramps").isLessThan(10);
		assertThat(start[1]).as("instance two, which only heard of it, ramps too").isLessThan(10);

		clock.advance(Duration.ofSeconds(5));
		int[] middle = ptuServed(both, 20);
		assertThat(middle[0] + middle[1]).as("55 % of 40 half way through").isBetween(10, 34);

		clock.advance(Duration.ofSeconds(5));
		int[] end = ptuServed(both, 20);
		assertThat(end[0] + end[1]).as("all of it once the window has passed").isEqualTo(40);
	}

	/** Two instances with {@code window}; the PTU answered one 429 asking for 30 s and the throttle reached both. */
	private List<ConfigurableApplicationContext> throttledPtuOnTwoInstances(String window) {
		Map<String, Object> slowStart = Map.of("spillway.routing.slow-start.window", window);
		ConfigurableApplicationContext one = gateways.start(slowStart);
		ConfigurableApplicationContext two = gateways.start(slowStart);
		gateways.awaitListening();
		backend.throttle("ptu", Duration.ofSeconds(30));
		assertThat(PtuAndPaygo.servedBy(one, CHAT)).isEqualTo("paygo");
		BackendState ptuOnTwo = two.getBean(PoolRegistry.class).instance("gpt", "ptu").state();
		await().atMost(Duration.ofSeconds(5)).until(() -> ptuOnTwo.throttledUntilMillis() > clock.millis());
		// The mock takes requests again at once; the gateways' clock decides when the throttle ends.
		backend.throttle("ptu", Duration.ZERO);
		assertThat(ptuOnTwo.throttledUntilMillis()).isLessThanOrEqualTo(clock.millis() + 30_000);
		return List.of(one, two);
	}

	/** How many of {@code each} requests sent to each instance the PTU served. */
	private int[] ptuServed(List<ConfigurableApplicationContext> instances, int each) {
		int[] served = new int[instances.size()];
		for (int i = 0; i < each; i++) {
			for (int g = 0; g < instances.size(); g++) {
				if ("ptu".equals(PtuAndPaygo.servedBy(instances.get(g), CHAT))) {
					served[g]++;
				}
			}
		}
		return served;
	}

}
