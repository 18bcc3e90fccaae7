package dev.spillway.gateway.streaming;

import java.time.Duration;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Relaying of streamed answers: idle timeout, event size and how much answer text is kept.
 */
@Validated
@ConfigurationProperties(prefix = "spillway.streaming")
public class StreamingProperties {

	/**
	 * Longest silence tolerated between two events of a streamed answer (and before the first one). When it
	 * passes, the client's stream ends with an error event and the upstream request is cancelled.
	 */
	@NotNull
	private Duration idleTimeout = Duration.ofSeconds(120);

	public Duration getIdleTimeout() {
		return idleTimeout;
	}

	public void setIdleTimeout(Duration idleTimeout) {
		this.idleTimeout = idleTimeout;
	}

	/**
	 * Whether a stream whose backend breaks after the client had its first events (the connection fails, the stream
	 * ends without its terminal event, or the idle timeout passes) is continued on another backend of the pool: the
	 * text already sent is given to it as an assistant message to continue, and its answer is spliced into the
	 * client's stream (same id, one terminal event, usage summed). Chat completions and Responses text answers only.
	 */
	private boolean continueBrokenStreams;

	public boolean isContinueBrokenStreams() {
		return continueBrokenStreams;
	}

	public void setContinueBrokenStreams(boolean continueBrokenStreams) {
		this.continueBrokenStreams = continueBrokenStreams;
	}

	@AssertTrue(message = "idle-timeout must be positive")
	public boolean isIdleTimeoutPositive() {
		return idleTimeout == null || !idleTimeout.isNegative() && !idleTimeout.isZero();
	}

	/**
	 * Largest single event of a streamed answer. A backend that sends more without ending the event has its
	 * stream ended with an {@code upstream_stream_error} event.
	 */
	@NotNull
	private DataSize maxEventSize = DataSize.ofMegabytes(1);

	/**
	 * Longest answer text (in characters) kept for the cache and for idempotent replay. A longer answer is relayed
	 * and charged in full, but neither cached nor kept for replay.
	 */
	@Min(1)
	private int maxKeptAnswerLength = 1024 * 1024;

	public DataSize getMaxEventSize() {
		return maxEventSize;
	}

	public void setMaxEventSize(DataSize maxEventSize) {
		this.maxEventSize = maxEventSize;
	}

	public int getMaxKeptAnswerLength() {
		return maxKeptAnswerLength;
	}

	public void setMaxKeptAnswerLength(int maxKeptAnswerLength) {
		this.maxKeptAnswerLength = maxKeptAnswerLength;
	}

	@AssertTrue(message = "max-event-size must be between 1KB and 1GB")
	public boolean isMaxEventSizeInRange() {
		return maxEventSize == null
				|| maxEventSize.toBytes() >= 1024 && maxEventSize.toBytes() <= DataSize.ofGigabytes(1).toBytes();
	}

}
