package dev.spillway.gateway.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the one hash Spillway uses for keys (API keys, cache keys, idempotency keys, request fingerprints). */
public final class Hashes {

	private static final HexFormat HEX = HexFormat.of();

	/** Cloned for each hash: a clone skips the provider lookup {@code getInstance} does on every call. */
	private static final MessageDigest SHA_256 = sha256Digest();

	private Hashes() {
	}

	public static byte[] sha256(byte[] bytes) {
		MessageDigest digest;
		try {
			digest = (MessageDigest) SHA_256.clone();
		}
		catch (CloneNotSupportedException ex) {
			digest = sha256Digest();
		}
		return digest.digest(bytes);
	}

	private static MessageDigest sha256Digest() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("Every Java runtime has SHA-256", ex);
		}
	}

	public static String sha256Hex(byte[] bytes) {
		return HEX.formatHex(sha256(bytes));
	}

	public static String sha256Hex(String text) {
		return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
	}

}
