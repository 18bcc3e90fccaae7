package dev.spillway.gateway.jobs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The secret with which this instance's job workers call its own gateway on a tenant's behalf (tenants' keys are
 * only held as hashes). Random per process and never leaves it: a worker only ever calls its own instance.
 */
final class JobToken {

	/** Header carrying the token. */
	public static final String TOKEN_HEADER = "x-spillway-job-token";

	/** Header naming the tenant the job belongs to. */
	public static final String TENANT_HEADER = "x-spillway-job-tenant";

	private final String value;

	public JobToken() {
		byte[] bytes = new byte[32];
		new SecureRandom().nextBytes(bytes);
		this.value = HexFormat.of().formatHex(bytes);
	}

	String value() {
		return value;
	}

	/** Whether {@code presented} is this instance's token, compared in constant time. */
	public boolean matches(String presented) {
		return presented != null && MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8),
				presented.getBytes(StandardCharsets.UTF_8));
	}

}
