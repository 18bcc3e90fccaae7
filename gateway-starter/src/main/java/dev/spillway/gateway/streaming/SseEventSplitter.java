package dev.spillway.gateway.streaming;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;

/**
 * Cuts a byte stream of Server-Sent Events into whole events, bytes unchanged, each with its closing blank line.
 * Network reads split events anywhere; relaying whole events means a failure can always be reported as a
 * clean error event, never glued to half an event. An event may not grow past {@code maxEventBytes}: a backend
 * that never ends one fails the stream ({@link EventTooLargeException}) instead of filling memory. One instance per
 * stream; not thread-safe (a Flux delivers serially).
 */
final class SseEventSplitter {

	private byte[] pending = new byte[256];

	private int length;

	private int scanFrom;

	private final int maxEventBytes;

	/** A splitter for events of any size (tests, replay of answers already bounded). */
	public SseEventSplitter() {
		this(Integer.MAX_VALUE - 16);
	}

	public SseEventSplitter(int maxEventBytes) {
		this.maxEventBytes = maxEventBytes;
	}

	/** Takes one network read (and releases it); returns the events it completed, possibly none. */
	public List<byte[]> feed(DataBuffer buffer) {
		try {
			int readable = buffer.readableByteCount();
			ensureCapacity(readable);
			buffer.read(pending, length, readable);
			length += readable;
		}
		finally {
			DataBufferUtils.release(buffer);
		}
		return drain();
	}

	/** Takes bytes directly (tests, replay). */
	public List<byte[]> feed(byte[] bytes) {
		ensureCapacity(bytes.length);
		System.arraycopy(bytes, 0, pending, length, bytes.length);
		length += bytes.length;
		return drain();
	}

	/** Bytes of an event the stream ended in the middle of, or {@code null}. */
	public byte[] remainder() {
		return length == 0 ? null : Arrays.copyOf(pending, length);
	}

	private List<byte[]> drain() {
		List<byte[]> events = null;
		int start = 0;
		for (int i = Math.max(scanFrom, 1); i < length; i++) {
			if (pending[i] == '\n' && (pending[i - 1] == '\n' || (i >= 2 && pending[i - 1] == '\r' && pending[i - 2] == '\n'))) {
				byte[] event = Arrays.copyOfRange(pending, start, i + 1);
				if (events == null) {
					events = new ArrayList<>(2);
				}
				events.add(event);
				start = i + 1;
			}
		}
		if (start > 0) {
			System.arraycopy(pending, start, pending, 0, length - start);
			length -= start;
		}
		scanFrom = Math.max(length - 2, 0);
		if (length > maxEventBytes) {
			throw new EventTooLargeException(maxEventBytes);
		}
		return events == null ? List.of() : events;
	}

	/**
	 * Room for {@code more} bytes. What is pending never exceeds {@code maxEventBytes} between reads (see
	 * {@link #drain}), so the buffer never exceeds that plus one read.
	 */
	private void ensureCapacity(int more) {
		int needed = length + more;
		if (needed > pending.length) {
			pending = Arrays.copyOf(pending, (int) Math.min(Math.max(needed, (long) pending.length * 2),
					(long) maxEventBytes + more));
		}
	}

	/** An event grew past the limit without its closing blank line. */
	public static final class EventTooLargeException extends RuntimeException {

		EventTooLargeException(int maxEventBytes) {
			super("an event of the stream is larger than " + maxEventBytes + " bytes", null, false, false);
		}

	}

}
