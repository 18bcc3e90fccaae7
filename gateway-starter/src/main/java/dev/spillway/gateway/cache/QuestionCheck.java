package dev.spillway.gateway.cache;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cheap second check a semantic candidate must pass: embeddings place "How do I reset my password?" and
 * "How do I reset my username?" close together, but their answers differ. Two questions only count as the same
 * when they agree on their numbers, their negations, their question word, the task they ask for, and the
 * capitalised names they mention.
 */
public final class QuestionCheck {

	private static final Pattern NUMBER = Pattern.compile("\\d+(?:[.,]\\d+)*");

	private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");

	private static final Set<String> NEGATIONS = Set.of("not", "no", "never", "without", "none", "nor", "cannot",
			"neither", "nothing", "nobody");

	private static final Set<String> QUESTION_WORDS = Set.of("who", "what", "when", "where", "why", "how", "which",
			"whom", "whose");

	private static final Set<String> TASKS = Set.of("translate", "summarize", "summarise", "explain", "write", "list",
			"define", "describe", "compare", "convert", "calculate", "rewrite", "correct", "classify", "count", "sort",
			"spell", "reverse");

	private QuestionCheck() {
	}

	/** Whether two questions agree on everything the check looks at. */
	public static boolean agree(String question, String candidate) {
		return Features.of(question).equals(Features.of(candidate));
	}

	private record Features(Set<String> numbers, boolean negated, String questionWord, String task, Set<String> names) {

		static Features of(String text) {
			Set<String> numbers = new HashSet<>();
			Matcher number = NUMBER.matcher(text);
			while (number.find()) {
				numbers.add(number.group().replace(",", ""));
			}
			boolean negated = false;
			String questionWord = null;
			String task = null;
			Set<String> names = new HashSet<>();
			Matcher word = WORD.matcher(text);
			boolean sentenceStart = true;
			int lastEnd = 0;
			while (word.find()) {
				String between = text.substring(lastEnd, word.start());
				if (between.contains(".") || between.contains("?") || between.contains("!") || between.contains("\n")) {
					sentenceStart = true;
				}
				String original = word.group();
				String lower = original.toLowerCase(Locale.ROOT);
				if (NEGATIONS.contains(lower) || lower.endsWith("n't")) {
					negated = true;
				}
				if (questionWord == null && QUESTION_WORDS.contains(lower)) {
					questionWord = lower;
				}
				if (task == null && sentenceStart && TASKS.contains(lower)) {
					task = lower.replace("summarise", "summarize");
				}
				if (!sentenceStart && Character.isUpperCase(original.charAt(0)) && !lower.equals("i")) {
					names.add(lower);
				}
				sentenceStart = false;
				lastEnd = word.end();
			}
			return new Features(numbers, negated, questionWord, task, names);
		}

	}

}
