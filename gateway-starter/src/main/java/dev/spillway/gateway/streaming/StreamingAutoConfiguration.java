package dev.spillway.gateway.streaming;

import tools.jackson.databind.json.JsonMapper;

import dev.spillway.gateway.autoconfigure.SpillwayCoreAutoConfiguration;
import dev.spillway.gateway.core.Pools;
import dev.spillway.gateway.request.AnswerCompletion;
import dev.spillway.gateway.request.StreamContinuation;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The response side: event-by-event relay, reading of the answer, and the end-of-answer settlement that calls every
 * {@link AnswerCompletion}.
 */
@AutoConfiguration(after = SpillwayCoreAutoConfiguration.class, before = GatewayAutoConfiguration.class)
@ConditionalOnBean(Pools.class)
@EnableConfigurationProperties(StreamingProperties.class)
public class StreamingAutoConfiguration {

	@Bean
	StreamingResponseFilter spillwayStreamingResponseFilter(StreamingProperties streaming,
			@Qualifier("spillwayJsonMapper") JsonMapper json, ObjectProvider<AnswerCompletion> completions,
			ObjectProvider<StreamContinuation> continuation) {
		return new StreamingResponseFilter(streaming.getIdleTimeout(), json,
				new RequestSettlement(completions.orderedStream().toList()),
				(int) Math.min(Integer.MAX_VALUE - 16, streaming.getMaxEventSize().toBytes()),
				streaming.getMaxKeptAnswerLength(),
				streaming.isContinueBrokenStreams() ? continuation.getIfAvailable() : null);
	}

}
