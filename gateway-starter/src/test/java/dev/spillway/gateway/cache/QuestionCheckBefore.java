package dev.spillway.gateway.cache;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The second check as it was before the labelled set was written (commit 30596ec), kept only so that the
 * evaluations can show what changed. Its word lists were written looking at the earlier evaluation set.
 *
 * The cheap second check a semantic candidate must pass: embeddings place "How do I reset my password?" and "How do
 * I not reset my password?" — or "the first person on the Moon" and "the second" — close together, but their
 * answers differ. Two questions only count as the same when they agree on:
 * <ul>
 * <li>their numbers, ordinals included ("first" is 1);</li>
 * <li>whether they are negated;</li>
 * <li>the specific question words they use (who, when, where, why), when both use one — "what", "which" and
 * "how" are interchangeable in rewordings and not compared;</li>
 * <li>the task they ask for, when they open with one (translate, summarize, rewrite, ...);</li>
 * <li>their opposites (open/close, begin/end, minimum/maximum, enable/disable, ...), when both use a pair;</li>
 * <li>the capitalised names they mention (not counting the first word of a sentence).</li>
 * </ul>
 */
final class QuestionCheckBefore {

	private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:['’][\\p{L}]+)?");

	private static final Pattern DIGITS = Pattern.compile("\\d+(?:[.,]\\d+)*");

	private static final Set<String> NEGATIONS = Set.of("not", "no", "never", "without", "none", "nor", "cannot",
			"neither", "nothing", "nobody");

	private static final Set<String> QUESTION_WORDS = Set.of("who", "whom", "whose", "when", "where", "why");

	private static final Set<String> TASKS = Set.of("translate", "summarize", "summarise", "explain", "write", "list",
			"define", "describe", "compare", "convert", "calculate", "rewrite", "correct", "classify", "count", "sort",
			"spell", "reverse");

	private static final Map<String, String> ORDINALS = Map.ofEntries(Map.entry("first", "1"), Map.entry("second", "2"),
			Map.entry("third", "3"), Map.entry("fourth", "4"), Map.entry("fifth", "5"), Map.entry("sixth", "6"),
			Map.entry("seventh", "7"), Map.entry("eighth", "8"), Map.entry("ninth", "9"), Map.entry("tenth", "10"),
			Map.entry("last", "last"), Map.entry("next", "next"), Map.entry("previous", "previous"),
			Map.entry("one", "1"), Map.entry("two", "2"), Map.entry("three", "3"), Map.entry("four", "4"),
			Map.entry("five", "5"), Map.entry("six", "6"), Map.entry("seven", "7"), Map.entry("eight", "8"),
			Map.entry("nine", "9"), Map.entry("ten", "10"), Map.entry("twice", "2"), Map.entry("double", "2"),
			Map.entry("half", "0.5"), Map.entry("dozen", "12"));

	/**
	 * Opposites whose swap changes the answer: each word maps to {@code group:side}. Questions disagree when both use
	 * a group and pick different sides; a group used by only one of them says nothing.
	 */
	private static final Map<String, String> POLES = poles("open=open,opens,opened,opening|close,closes,closed,closing",
			"begin=begin,began,begins,beginning,start,starts,started|end,ends,ended,ending,finish,finished,stop,stops",
			"extreme=minimum,min,lowest,least|maximum,max,highest,most", "enable=enable,enabled,on|disable,disabled,off",
			"change=increase,raise|decrease,reduce,lower", "order=before,earlier|after,later",
			"edit=add,create|remove,delete", "plan=upgrade|downgrade", "subscription=subscribe|unsubscribe",
			"trade=buy,purchase|sell", "size=largest,biggest|smallest", "speed=fastest,quickest|slowest",
			"age=oldest|newest,youngest", "heat=hot,hottest,warm|cold,coldest,cool", "depth=deepest|shallowest",
			"length=longest,tallest|shortest", "vertical=up,upper|down,lower", "side=left|right",
			"compass=north,northern|south,southern", "compass2=east,eastern|west,western",
			"time=morning|evening,night", "state=freezing,freeze,frozen|boiling,boil,melting,melt",
			"link=connect,connected,pair|disconnect,disconnected,unpair", "setup=install,set|uninstall",
			"flow=pause,paused|resume,resumed", "lock=lock,locked|unlock,unlocked",
			"crypt=encrypt,encrypted|decrypt,decrypted", "arithmetic=plus,add,sum|minus,subtract|times,multiply",
			"table=row,rows|column,columns", "price=cheapest,cheap|expensive,priciest",
			"truth=true,correct|false,wrong", "direction=import,imports|export,exports");

	private QuestionCheckBefore() {
	}

	/** Whether two questions agree on everything the check looks at. */
	public static boolean agree(String question, String candidate) {
		Features a = Features.of(question);
		Features b = Features.of(candidate);
		boolean questionWordsAgree = a.questionWords.isEmpty() || b.questionWords.isEmpty()
				|| a.questionWords.equals(b.questionWords);
		return a.numbers.equals(b.numbers) && a.negated == b.negated && questionWordsAgree
				&& java.util.Objects.equals(a.task, b.task) && polesAgree(a.poles, b.poles) && a.names.equals(b.names);
	}

	private static Map<String, String> poles(String... groups) {
		Map<String, String> poles = new java.util.HashMap<>();
		for (String group : groups) {
			String name = group.substring(0, group.indexOf('='));
			String[] sides = group.substring(group.indexOf('=') + 1).split("\\|");
			for (int side = 0; side < sides.length; side++) {
				for (String word : sides[side].split(",")) {
					poles.putIfAbsent(word, name + ":" + side);
				}
			}
		}
		return Map.copyOf(poles);
	}

	/** Questions disagree on a group of opposites only when both use it and pick different sides. */
	private static boolean polesAgree(Set<String> a, Set<String> b) {
		Map<String, Set<String>> sidesA = bySide(a);
		Map<String, Set<String>> sidesB = bySide(b);
		for (Map.Entry<String, Set<String>> group : sidesA.entrySet()) {
			Set<String> other = sidesB.get(group.getKey());
			if (other != null && !other.equals(group.getValue())) {
				return false;
			}
		}
		return true;
	}

	private static Map<String, Set<String>> bySide(Set<String> poles) {
		Map<String, Set<String>> groups = new java.util.HashMap<>();
		for (String pole : poles) {
			int colon = pole.indexOf(':');
			groups.computeIfAbsent(pole.substring(0, colon), g -> new TreeSet<>()).add(pole.substring(colon + 1));
		}
		return groups;
	}

	private record Features(Set<String> numbers, boolean negated, Set<String> questionWords, String task,
			Set<String> poles, Set<String> names) {

		static Features of(String text) {
			Set<String> numbers = new TreeSet<>();
			Matcher digits = DIGITS.matcher(text);
			while (digits.find()) {
				numbers.add(digits.group().replace(",", ""));
			}
			boolean negated = false;
			Set<String> questionWords = new TreeSet<>();
			String task = null;
			Set<String> poles = new TreeSet<>();
			Set<String> names = new HashSet<>();
			Matcher word = WORD.matcher(text);
			boolean sentenceStart = true;
			int lastEnd = 0;
			while (word.find()) {
				String between = text.substring(lastEnd, word.start());
				if (between.contains(".") || between.contains("?") || between.contains("!") || between.contains(":")
						|| between.contains("\n")) {
					sentenceStart = true;
				}
				String original = word.group();
				String lower = original.toLowerCase(Locale.ROOT).replace('’', '\'');
				String stem = lower.endsWith("'s") ? lower.substring(0, lower.length() - 2) : lower;
				if (NEGATIONS.contains(lower) || lower.endsWith("n't")) {
					negated = true;
				}
				if (QUESTION_WORDS.contains(lower)) {
					questionWords.add(lower);
				}
				if (task == null && sentenceStart && TASKS.contains(lower)) {
					task = lower.replace("summarise", "summarize");
				}
				if (ORDINALS.containsKey(lower)) {
					numbers.add(ORDINALS.get(lower));
				}
				String pole = POLES.get(lower);
				if (pole != null) {
					poles.add(pole);
				}
				if (!sentenceStart && Character.isUpperCase(original.charAt(0)) && !lower.equals("i")) {
					names.add(stem);
				}
				sentenceStart = false;
				lastEnd = word.end();
			}
			return new Features(numbers, negated, questionWords, task, poles, names);
		}

	}

}
