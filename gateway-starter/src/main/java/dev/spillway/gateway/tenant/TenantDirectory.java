package dev.spillway.gateway.tenant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import dev.spillway.gateway.core.Hashes;
import dev.spillway.gateway.core.Tenants;

/**
 * Finds the tenant an API key belongs to. Keys are held only as SHA-256 digests. A presented key is hashed and
 * looked up by its digest; the match is then confirmed with {@link MessageDigest#isEqual}, which takes the same
 * time wherever the bytes differ. The lookup itself can only leak timing about a digest, which tells an
 * attacker nothing about any key, so this is as safe as comparing against every key and scales with tenants.
 */
final class TenantDirectory {

	private static final String SHA256_PREFIX = "sha256:";

	private static final HexFormat HEX = HexFormat.of();

	private final Map<String, Entry> byDigest = new HashMap<>();

	TenantDirectory(Tenants tenants) {
		tenants.all().forEach((id, tenant) -> tenant.keys().forEach(key -> {
			byte[] digest = key.startsWith(SHA256_PREFIX) ? HEX.parseHex(key.substring(SHA256_PREFIX.length()))
					: sha256(key);
			byDigest.put(HEX.formatHex(digest), new Entry(id, digest));
		}));
	}

	/** The tenant id for {@code presentedKey}, or {@code null} when no tenant has it. */
	String tenantFor(String presentedKey) {
		if (presentedKey == null || presentedKey.isEmpty()) {
			return null;
		}
		byte[] digest = sha256(presentedKey);
		Entry entry = byDigest.get(HEX.formatHex(digest));
		return entry != null && MessageDigest.isEqual(entry.digest, digest) ? entry.tenant : null;
	}

	static byte[] sha256(String value) {
		return Hashes.sha256(value.getBytes(StandardCharsets.UTF_8));
	}

	private record Entry(String tenant, byte[] digest) {
	}

}
