package dev.spillway.gateway.cache;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The question as the exact layer compares it: "What is the capital of France?" and "what is the capital of
 * france" are the same question, and a user who retypes one should get the cached answer without an embedding.
 * Only the prose of the question changes — letter case, runs of whitespace, and the punctuation that ends it.
 * Code (fenced blocks and inline spans between backticks) is kept byte for byte, because there case and spacing can
 * change the answer; digits are never touched, and the rest of the request (system prompt, earlier messages,
 * parameters) is hashed as sent.
 */
final class QuestionText {

	/** Fenced blocks first, so that their backticks are not read as inline spans. */
	private static final Pattern CODE = Pattern.compile("```.*?(?:```|\\z)|`[^`\\n]*`", Pattern.DOTALL);

	private static final Pattern WHITESPACE = Pattern.compile("\\s+");

	private static final Pattern FINAL_PUNCTUATION = Pattern.compile("[\\s?.!。？！]+\\z");

	private QuestionText() {
	}

	/** The question with its prose lower-cased and its whitespace collapsed, without its final punctuation. */
	static String normalised(String question) {
		StringBuilder out = new StringBuilder(question.length());
		Matcher code = CODE.matcher(question);
		int prose = 0;
		while (code.find()) {
			out.append(prose(question.substring(prose, code.start())));
			out.append(code.group());
			prose = code.end();
		}
		String tail = question.substring(prose);
		out.append(prose(tail));
		String normalised = out.toString().strip();
		// The final punctuation goes only when the question ends in prose: code keeps its last character.
		boolean endsInProse = prose == 0 || !tail.isBlank();
		return endsInProse ? FINAL_PUNCTUATION.matcher(normalised).replaceFirst("") : normalised;
	}

	private static String prose(String text) {
		return WHITESPACE.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
	}

}
