package dev.spillway.gateway.cache;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The cache keys some instance is known to have stored, with when they expire: at most {@code maxEntries}, the
 * oldest going first, and expired ones dropped as they reach the head (answers mostly share a TTL, so insertion
 * order is nearly expiry order) or when asked about. Each operation touches a few entries under a short lock.
 */
final class KnownKeys {

	/** Expired entries at the head removed per insertion: more than one, so they drain faster than they come. */
	private static final int EXPIRED_PER_PUT = 4;

	private final int maxEntries;

	/** key → expiry in milliseconds (0: unknown, loaded from the age index); oldest first. */
	private final LinkedHashMap<String, Long> keys = new LinkedHashMap<>();

	KnownKeys(int maxEntries) {
		this.maxEntries = maxEntries;
	}

	synchronized void put(String key, long expiresAtMillis, long nowMillis) {
		keys.remove(key);
		keys.put(key, expiresAtMillis);
		Iterator<Map.Entry<String, Long>> oldest = keys.entrySet().iterator();
		int expired = 0;
		while (oldest.hasNext()) {
			Map.Entry<String, Long> entry = oldest.next();
			boolean over = keys.size() > maxEntries;
			boolean stale = expired < EXPIRED_PER_PUT && entry.getValue() != 0 && entry.getValue() <= nowMillis;
			if (!over && !stale) {
				break;
			}
			if (stale) {
				expired++;
			}
			oldest.remove();
		}
	}

	/** Adds a key of unknown expiry unless it is known already, within the bound. */
	synchronized void putIfAbsent(String key) {
		if (!keys.containsKey(key)) {
			put(key, 0, 0);
		}
	}

	/** Whether {@code key} is known and not expired. */
	synchronized boolean contains(String key, long nowMillis) {
		Long expires = keys.get(key);
		if (expires == null) {
			return false;
		}
		if (expires != 0 && expires <= nowMillis) {
			keys.remove(key);
			return false;
		}
		return true;
	}

	synchronized void remove(String key) {
		keys.remove(key);
	}

	synchronized int size() {
		return keys.size();
	}

}
