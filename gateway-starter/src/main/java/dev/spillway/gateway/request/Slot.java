package dev.spillway.gateway.request;

/**
 * A typed place on an {@link LlmExchange} for what one capability learns about a request on its way in (a limit
 * reservation, a cache key, an idempotency claim). The capability that writes a slot owns its constant, next to the
 * filter that sets it, as Spring Cloud Gateway's filters own their {@code *_ATTR} names; others read it only through
 * that capability's published API.
 *
 * @param <T> what the slot holds
 */
public final class Slot<T> {

	private final String name;

	private Slot(String name) {
		this.name = name;
	}

	/** A new slot; {@code name} appears only in {@link #toString()}. */
	public static <T> Slot<T> named(String name) {
		return new Slot<>(name);
	}

	@Override
	public String toString() {
		return "Slot[" + name + "]";
	}

}
