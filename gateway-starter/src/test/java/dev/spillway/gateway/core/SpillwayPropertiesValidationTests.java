package dev.spillway.gateway.core;

import org.junit.jupiter.api.Test;

import dev.spillway.gateway.streaming.StreamingProperties;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/** A wrong value stops start-up with a message that names the property and what is allowed. */
class SpillwayPropertiesValidationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
		.withUserConfiguration(PropertiesOnly.class)
		.withPropertyValues("spillway.pools.gpt.backends[0].id=east", "spillway.pools.gpt.backends[0].url=http://east",
				"spillway.pools.gpt.models[0]=gpt-4o", "spillway.tenants.acme.keys[0]=sk-acme");

	@Test
	void aValidConfigurationStarts() {
		runner.run(context -> assertThat(context).hasNotFailed());
	}

	@Test
	void weightBelowOneIsRejectedNamingTheProperty() {
		assertRejected("spillway.pools.gpt.backends[0].weight=0", "pools[gpt].backends[0].weight");
	}

	@Test
	void unknownBackendTypeIsRejected() {
		assertRejected("spillway.pools.gpt.backends[0].type=bedrock", "spillway.pools.gpt.backends[0].type");
	}

	@Test
	void relativeUrlIsRejected() {
		assertRejected("spillway.pools.gpt.backends[0].url=/just/a/path", "urlHttp");
	}

	@Test
	void poolWithoutBackendsIsRejected() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
			.withUserConfiguration(PropertiesOnly.class)
			.withPropertyValues("spillway.pools.empty.models[0]=gpt-4o")
			.run(context -> assertThat(context).getFailure().rootCause().hasMessageContaining("pools[empty].backends"));
	}

	@Test
	void duplicateBackendIdsAreRejected() {
		assertRejected("spillway.pools.gpt.backends[1].id=east", "backendIdsUnique",
				"spillway.pools.gpt.backends[1].url=http://west");
	}

	@Test
	void malformedHashedKeyIsRejected() {
		assertRejected("spillway.tenants.acme.keys[0]=sha256:abc", "64 hex digits");
	}

	@Test
	void sameKeyForTwoTenantsIsRejected() {
		assertRejected("spillway.tenants.other.keys[0]=sk-acme", "one tenant only");
	}

	@Test
	void nonPositiveIdleTimeoutIsRejected() {
		assertRejected("spillway.streaming.idle-timeout=0s", "idle-timeout must be positive");
	}

	@Test
	void theSameKeyPlainAndAsItsDigestIsRejected() {
		assertRejected("spillway.tenants.other.keys[0]=sha256:5F8EEE912CD7C0CCB238560E8A22E7F78909E6DAC18288188F7F4EA35112700D",
				"one tenant only");
	}

	@Test
	void tenantIdsOutsideTheSafeCharactersAreRejected() {
		assertRejected("spillway.tenants[acme{x}].keys[0]=sk-other", "tenant ids");
	}

	@Test
	void aPoolThatWouldForwardAnyNameIsRejectedWithTheYamlToAdd() {
		open().run(context -> assertThat(startupMessages(context.getStartupFailure()))
			.contains("Pool 'open' has no models allow-list")
			.contains("spillway:\n      pools:\n        open:\n          models: [ gpt-4o ]")
			.contains("models: [ \"*\" ]"));
	}

	@Test
	void aPoolIsOpenOnlyOnPurposeOrWithFixedDeployments() {
		open().withPropertyValues("spillway.pools.open.models[0]=*").run(context -> assertThat(context).hasNotFailed());
		open().withPropertyValues("spillway.pools.open.backends[0].deployment=gpt-4o")
			.run(context -> assertThat(context).hasNotFailed());
	}

	@Test
	void listedNamesThatWouldBreakAnAzurePathAreRejected() {
		open().withPropertyValues("spillway.pools.open.models[0]=..")
			.run(context -> assertThat(startupMessages(context.getStartupFailure()))
				.contains("spillway.pools.open.models: '..' must not be '.' or '..'"));
	}

	@Test
	void aFallbackOrRuleWhoseModelTheTargetPoolDoesNotServeIsRejected() {
		assertRejected("spillway.pools.gpt.fallback.pool=big", "spillway.pools.gpt.fallback sends model 'gpt-4.1' to pool 'big'",
				"spillway.pools.gpt.fallback.model=gpt-4.1", "spillway.pools.big.models[0]=gpt-4o-mini",
				"spillway.pools.big.backends[0].id=big", "spillway.pools.big.backends[0].url=http://big");
	}

	private ApplicationContextRunner open() {
		return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
			.withUserConfiguration(PropertiesOnly.class)
			.withPropertyValues("spillway.pools.open.backends[0].id=east", "spillway.pools.open.backends[0].type=azure",
					"spillway.pools.open.backends[0].url=http://east", "spillway.tenants.acme.keys[0]=sk-acme");
	}

	private static String startupMessages(Throwable failure) {
		StringBuilder messages = new StringBuilder();
		for (Throwable t = failure; t != null; t = t.getCause()) {
			messages.append(t.getMessage()).append('\n');
		}
		return messages.toString();
	}

	private void assertRejected(String... propertiesThenExpectedText) {
		String property = propertiesThenExpectedText[0];
		String expected = propertiesThenExpectedText[1];
		ApplicationContextRunner withBadValue = runner.withPropertyValues(property);
		for (int i = 2; i < propertiesThenExpectedText.length; i++) {
			withBadValue = withBadValue.withPropertyValues(propertiesThenExpectedText[i]);
		}
		withBadValue.run(context -> {
			assertThat(context).hasFailed();
			Throwable failure = context.getStartupFailure();
			StringBuilder messages = new StringBuilder();
			for (Throwable t = failure; t != null; t = t.getCause()) {
				messages.append(t.getMessage()).append('\n');
			}
			assertThat(messages.toString()).contains(expected);
		});
	}

	@org.springframework.boot.context.properties.EnableConfigurationProperties({ SpillwayProperties.class,
			dev.spillway.gateway.streaming.StreamingProperties.class })
	static class PropertiesOnly {

	}

}
