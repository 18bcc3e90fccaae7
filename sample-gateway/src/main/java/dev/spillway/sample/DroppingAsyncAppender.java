package dev.spillway.sample;

import java.util.concurrent.atomic.AtomicLong;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's asynchronous appender, set never to block (see {@code logback-spring.xml}): a thread that logs — an event
 * loop writing the request log — hands the line to a bounded queue and goes on. When the queue is full the line is
 * dropped, and counted here: {@code spillway.log.dropped} on the metrics.
 */
public class DroppingAsyncAppender extends AsyncAppender {

	static final AtomicLong DROPPED = new AtomicLong();

	@Override
	protected void append(ILoggingEvent event) {
		if (getRemainingCapacity() == 0) {
			DROPPED.incrementAndGet();
			return;
		}
		super.append(event);
	}

}
