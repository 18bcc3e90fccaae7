package dev.spillway.gateway.cache;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The question as the exact layer compares it: "What is the capital of France?" and "what is the capital of
 * france" are the same question, and a user who retypes one should get the cached answer without an embedding.
 * Only the prose of the question changes:
 * <ul>
 * <li>words written in lower case or capitalised are lower-cased; words in capitals or mixed case ({@code MW},
 * {@code mW}, {@code iPhone}) are kept as written — unless the whole question is in capitals;</li>
 * <li>runs of spaces and tabs become one space, runs of line breaks one line break;</li>
 * <li>the punctuation and whitespace that end the question go, except a {@code !} after a digit or a closing
 * parenthesis (a factorial).</li>
 * </ul>
 * Code (fenced blocks and inline spans between backticks) and quoted text are kept character for character,
 * because there case and spacing can be the point; the rest of the request (system prompt, earlier messages,
 * parameters) is hashed as sent. Linear in the length of the question.
 */
final class QuestionText {

	/** Fenced blocks first, so that their backticks are not read as inline spans; then quotations. */
	private static final Pattern VERBATIM = Pattern.compile("```.*?(?:```|\\z)|`[^`\\n]*`|\"[^\"\\n]*\"|“[^”\\n]*”"
			+ "|(?<![\\p{L}\\p{N}])'[^'\\n]*'(?![\\p{L}\\p{N}])", Pattern.DOTALL);

	private static final String FINAL_PUNCTUATION = "?.!。？！";

	private QuestionText() {
	}

	/** The question with its prose normalised as described above. */
	static String normalised(String question) {
		boolean shouting = shouting(question);
		StringBuilder out = new StringBuilder(question.length());
		Matcher verbatim = VERBATIM.matcher(question);
		int prose = 0;
		boolean startsInProse = true;
		while (verbatim.find()) {
			if (verbatim.start() == 0) {
				startsInProse = false;
			}
			prose(question, prose, verbatim.start(), shouting, out);
			out.append(verbatim.group());
			prose = verbatim.end();
		}
		boolean endsInProse = prose == 0 || !question.substring(prose).isBlank();
		prose(question, prose, question.length(), shouting, out);
		int start = 0;
		if (startsInProse) {
			while (start < out.length() && Character.isWhitespace(out.charAt(start))) {
				start++;
			}
		}
		int end = out.length();
		if (endsInProse) {
			while (end > start && (Character.isWhitespace(out.charAt(end - 1))
					|| FINAL_PUNCTUATION.indexOf(out.charAt(end - 1)) >= 0 && !factorial(out, end - 1))) {
				end--;
			}
		}
		return out.substring(start, end);
	}

	/** A {@code !} right after a digit or a closing parenthesis is part of the expression. */
	private static boolean factorial(CharSequence text, int at) {
		return text.charAt(at) == '!' && at > 0
				&& (Character.isDigit(text.charAt(at - 1)) || text.charAt(at - 1) == ')');
	}

	/** Appends the prose between {@code from} and {@code to}, normalised. */
	private static void prose(String text, int from, int to, boolean shouting, StringBuilder out) {
		int i = from;
		while (i < to) {
			char c = text.charAt(i);
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || Character.isWhitespace(c)) {
				boolean lineBreak = false;
				while (i < to && Character.isWhitespace(text.charAt(i))) {
					lineBreak |= text.charAt(i) == '\n';
					i++;
				}
				out.append(lineBreak ? '\n' : ' ');
			}
			else if (Character.isLetter(c)) {
				int end = i;
				while (end < to && Character.isLetter(text.charAt(end))) {
					end++;
				}
				appendWord(text, i, end, shouting, out);
				i = end;
			}
			else {
				out.append(c);
				i++;
			}
		}
	}

	/** Lower-cases a word in lower case or capitalised; keeps one in capitals or mixed case, unless all shouts. */
	private static void appendWord(String text, int from, int to, boolean shouting, StringBuilder out) {
		boolean restLower = true;
		for (int i = from + 1; i < to && restLower; i++) {
			restLower = !Character.isUpperCase(text.charAt(i));
		}
		boolean lowerable = shouting || restLower;
		for (int i = from; i < to; i++) {
			char c = text.charAt(i);
			out.append(lowerable ? Character.toLowerCase(c) : c);
		}
	}

	/** Whether most letters of the text are capitals: then case says nothing. */
	private static boolean shouting(String text) {
		int letters = 0;
		int upper = 0;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (Character.isLetter(c)) {
				letters++;
				upper += Character.isUpperCase(c) ? 1 : 0;
			}
		}
		return letters > 0 && upper * 2 > letters;
	}

}
