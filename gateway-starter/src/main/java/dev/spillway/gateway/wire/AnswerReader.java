package dev.spillway.gateway.wire;

/**
 * Reads one answer of one operation as it passes, for an {@link AnswerSink}: either a whole JSON body or a stream
 * of Server-Sent Events, each given whole. Finds what settlement needs without building a tree of every event.
 * One per request.
 */
public interface AnswerReader {

	/**
	 * Reads one whole event ({@code event:} / {@code data:} lines, without the blank line that ends it). Returns
	 * whether it goes on to the client: the usage-only event the gateway asked for on the client's behalf does not
	 * when the client did not ask for it.
	 */
	boolean onEvent(byte[] event, boolean clientWantsUsage);

	/** Reads a whole JSON answer. Malformed bytes (an error page, a cut body) are no answer, never thrown. */
	void onJson(byte[] body);

	/** Whether the stream reached the event after which this operation's streams end. */
	boolean terminal();

}
