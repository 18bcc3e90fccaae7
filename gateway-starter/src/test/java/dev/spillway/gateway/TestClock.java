package dev.spillway.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock tests can stop, set and move, given to the gateway as its {@code spillwayClock}: buckets refill by it, so a
 * stopped clock freezes refill and {@link #advance} refills exactly as much as the test says. Ticks with the system
 * clock until stopped.
 */
public final class TestClock extends Clock {

	private volatile Instant stoppedAt;

	/** A clock that ticks with the system clock until {@link #stopAt} or {@link #stop}. */
	public static TestClock ticking() {
		return new TestClock(null);
	}

	/** A clock stopped at {@code instant}. */
	public static TestClock stoppedAt(Instant instant) {
		return new TestClock(instant);
	}

	private TestClock(Instant stoppedAt) {
		this.stoppedAt = stoppedAt;
	}

	/** Stops the clock where it is. */
	public TestClock stop() {
		stoppedAt = Instant.now();
		return this;
	}

	public TestClock stopAt(Instant instant) {
		stoppedAt = instant;
		return this;
	}

	/** Moves a stopped clock forward. */
	public TestClock advance(Duration duration) {
		Instant at = stoppedAt;
		if (at == null) {
			throw new IllegalStateException("only a stopped clock can be moved");
		}
		stoppedAt = at.plus(duration);
		return this;
	}

	/** Lets the clock tick with the system clock again. */
	public TestClock resume() {
		stoppedAt = null;
		return this;
	}

	@Override
	public Instant instant() {
		Instant at = stoppedAt;
		return at != null ? at : Instant.now();
	}

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		return Clock.fixed(instant(), zone);
	}

}
