package dev.spillway.gateway.request;

import dev.spillway.gateway.wire.StoredAnswer;

/**
 * What the answer to a request said, read on its way to the client: its usage, its text (kept up to a bound), how it
 * ended. Written by the relay, read by the end-of-answer work ({@link AnswerCompletion}).
 */
public interface Answer {

	/** Whether the answer reported its usage. */
	boolean hasUsage();

	/** Prompt tokens the answer reported, or -1. */
	long promptTokens();

	/** Completion tokens the answer reported, or -1. */
	long completionTokens();

	/** Tokens of the text streamed so far, counted with the tokenizer, for charging when no usage arrived. */
	long streamedTokens();

	/** Whether the answer is complete: a JSON body read to its end, or a stream that reached its terminal event. */
	boolean complete();

	/** Whether the whole answer text was kept (it was not longer than the bound), so it may be stored for replay. */
	boolean kept();

	/** Why the answer ended, or {@code null}. */
	String finishReason();

	/** Whether the answer called tools. */
	boolean toolCalls();

	/** The whole JSON answer when it was not streamed, or {@code null}. */
	String json();

	/** The code of an error the backend reported inside an answer that had started well, or {@code null}. */
	String inBandError();

	/** When the first piece of content went out ({@link System#nanoTime()}), or 0. */
	long firstTokenNanos();

	/** The model the answer names (the backend's name for what served it), or {@code null}. */
	String model();

	/**
	 * The answer normalised for replay.
	 *
	 * @param fallbackModel the model to name when the answer named none
	 * @param keepJson whether to keep the original JSON answer alongside
	 * @throws IllegalStateException when the answer was not {@link #kept()}
	 */
	StoredAnswer toStored(String fallbackModel, boolean keepJson);

}
