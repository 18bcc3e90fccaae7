package dev.spillway.sample;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The log lines the asynchronous appender dropped because its queue was full. */
@Configuration(proxyBeanMethods = false)
class LogMetrics {

	@Bean
	MeterBinder droppedLogLines() {
		return registry -> FunctionCounter.builder("spillway.log.dropped", DroppingAsyncAppender.DROPPED,
				java.util.concurrent.atomic.AtomicLong::get)
			.description("Log lines dropped because the asynchronous log queue was full")
			.register(registry);
	}

}
