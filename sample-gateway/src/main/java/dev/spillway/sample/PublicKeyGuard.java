package dev.spillway.sample;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import dev.spillway.gateway.core.SpillwayProperties;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;

/**
 * Refuses to serve real deployments with the sample's public demo key: when the embedded demo is off (the
 * {@code real} profile), start-up fails unless some tenant has a key of its own, and fails whenever any tenant
 * still has the demo key, plain or as its {@code sha256:} digest. The key is published in the README, so a gateway
 * that accepted it would bill the operator's deployments to anyone who read it.
 */
public class PublicKeyGuard implements ApplicationListener<ApplicationEnvironmentPreparedEvent>, Ordered {

	/** The sample's demo key, printed in the README and the start-up banner. */
	public static final String DEMO_KEY = "sk-spillway-demo";

	@Override
	public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
		Binder binder = Binder.get(event.getEnvironment());
		if (binder.bind(EmbeddedDemo.ENABLED, Boolean.class).orElse(true)) {
			return;
		}
		Map<String, SpillwayProperties.Tenant> tenants = binder
			.bind("spillway.tenants", Bindable.mapOf(String.class, SpillwayProperties.Tenant.class))
			.orElse(Map.of());
		String demoDigest = "sha256:" + sha256(DEMO_KEY);
		boolean anyKey = false;
		for (Map.Entry<String, SpillwayProperties.Tenant> tenant : tenants.entrySet()) {
			List<String> keys = tenant.getValue().getKeys();
			for (String key : keys) {
				String trimmed = key == null ? "" : key.trim();
				if (trimmed.equals(DEMO_KEY) || trimmed.equalsIgnoreCase(demoDigest)) {
					throw new PublicKeyException("Tenant '" + tenant.getKey() + "' uses the public demo key '" + DEMO_KEY
							+ "', which anyone who read the README knows.");
				}
				anyKey |= !trimmed.isEmpty();
			}
		}
		if (!anyKey) {
			throw new PublicKeyException("No tenant key is configured, so no client could be authenticated.");
		}
	}

	private static String sha256(String value) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@Override
	public int getOrder() {
		// After Spring Boot has loaded application.yml and the active profiles' files.
		return Ordered.LOWEST_PRECEDENCE;
	}

	/** Start-up refused: real deployments would be served with a public or missing key. */
	public static class PublicKeyException extends IllegalStateException {

		PublicKeyException(String message) {
			super(message);
		}

	}

	/** Turns {@link PublicKeyException} into a start-up report that says what to set, without a stack trace. */
	public static class Analyzer extends AbstractFailureAnalyzer<PublicKeyException> {

		@Override
		protected FailureAnalysis analyze(Throwable rootFailure, PublicKeyException cause) {
			return new FailureAnalysis("Spillway will not serve real deployments: " + cause.getMessage(),
					"Give the tenant a key of its own, e.g. SPILLWAY_TENANT_KEY=sk-$(openssl rand -hex 24) (or its "
							+ "digest, SPILLWAY_TENANT_KEY=sha256:<64 hex digits>), or declare your tenants under "
							+ "spillway.tenants.",
					cause);
		}

	}

}
