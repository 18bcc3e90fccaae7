package dev.spillway.sample;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.bootstrap.DefaultBootstrapContext;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * The {@code real} profile serves the operator's deployments, so it must never start with the README's public demo
 * key, nor with no key at all. Started as {@code java -jar ... --spring.profiles.active=real} would be.
 */
class RealProfileKeyTests {

	@Test
	void refusesToStartWithoutATenantKey() {
		assertThatExceptionOfType(PublicKeyGuard.PublicKeyException.class)
			.isThrownBy(() -> start("--spring.profiles.active=real"))
			.withMessageContaining("No tenant key is configured");
	}

	@Test
	void refusesTheDemoKeyPlainOrAsItsDigest() {
		assertThatExceptionOfType(PublicKeyGuard.PublicKeyException.class)
			.isThrownBy(() -> start("--spring.profiles.active=real", "--SPILLWAY_TENANT_KEY=sk-spillway-demo"))
			.withMessageContaining("public demo key");
		assertThatExceptionOfType(PublicKeyGuard.PublicKeyException.class)
			.isThrownBy(() -> start("--spring.profiles.active=real",
					"--SPILLWAY_TENANT_KEY=sha256:" + digestOfDemoKey().toUpperCase()))
			.withMessageContaining("public demo key");
	}

	@Test
	void theFailureReportSaysWhatToSet() {
		FailureAnalysis analysis = new PublicKeyGuard.Analyzer().analyze(new PublicKeyGuard.PublicKeyException("x"));

		assertThat(analysis.getAction()).contains("SPILLWAY_TENANT_KEY");
	}

	@Test
	void aKeyOfItsOwnPassesTheGuardAndTheEmbeddedDemoIsNotChecked() {
		assertThatNoException().isThrownBy(() -> guard(Map.of("spillway.demo.embedded", "false",
				"spillway.tenants.team-a.keys[0]", "sk-a-key-of-its-own")));
		assertThatNoException().isThrownBy(() -> guard(Map.of("spillway.tenants.demo.keys[0]", PublicKeyGuard.DEMO_KEY)));
	}

	private static void guard(Map<String, Object> properties) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
		new PublicKeyGuard().onApplicationEvent(new ApplicationEnvironmentPreparedEvent(new DefaultBootstrapContext(),
				new SpringApplication(), new String[0], environment));
	}

	private static String digestOfDemoKey() {
		try {
			return java.util.HexFormat.of()
				.formatHex(java.security.MessageDigest.getInstance("SHA-256")
					.digest(PublicKeyGuard.DEMO_KEY.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
		}
		catch (java.security.NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void start(String... args) {
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleGatewayApplication.class)
			.run(args)) {
			SpringApplication.exit(context);
		}
	}

}
