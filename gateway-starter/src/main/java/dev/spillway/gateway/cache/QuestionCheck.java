package dev.spillway.gateway.cache;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The second check a semantic candidate must pass. Embeddings place "flights from New York to Florida" and "from
 * Florida to New York", or "the first person on the Moon" and "the second", close together, but their answers
 * differ. The check tokenizes both texts (case and punctuation ignored) and compares what embeddings blur:
 * <ul>
 * <li><b>numbers</b>: digits ({@code 10,000} is 10000, {@code 16th} is 16), spelled numbers ("two dozen"), ordinals,
 * one-letter variables and the operators between them ({@code 3 + 5} is not {@code 3 - 5}), in the order they come
 * ("divide 12 by 4" is not "divide 4 by 12");</li>
 * <li><b>quantities and dates</b>: the units and currencies mentioned, which number each one counts, months,
 * weekdays and {@code last}/{@code next}/{@code tomorrow};</li>
 * <li><b>polarity</b>: whether either text negates ({@code not}, {@code n't}, {@code never}, {@code without},
 * {@code except}, {@code avoid}, ...), and words that differ only by a negating or opposing affix ({@code safe} /
 * {@code unsafe}, {@code mutable} / {@code immutable}, {@code include} / {@code exclude}, {@code enable} / {@code
 * disable}, {@code upload} / {@code download}, {@code useful} / {@code useless});</li>
 * <li><b>the specific question</b>: who, when, where, why or how much/many/long/..., when both open a clause with
 * one;</li>
 * <li><b>names</b>: a word only one of the texts contains, written as a name there — capitalised inside a
 * sentence, an acronym, or letters mixed with digits or inner capitals ({@code iPhone}, {@code Python3}). Words
 * both texts contain are never compared, so a question typed in lower case still matches;</li>
 * <li><b>roles</b>: a shared word or number that is the source ({@code from}), the destination ({@code into}, or
 * {@code to} before a noun phrase) or the point of comparison ({@code than}) in one text must be so in the other,
 * when both use that role; and three shared words x p y that come as y p x in the other text ("can a landlord sue a
 * tenant" / "can a tenant sue a landlord") make them differ;</li>
 * <li><b>the task around a shared passage</b>: when the two texts share a passage of eight words or more (text to
 * summarise, translate, rewrite), the words outside it are the instruction, and they must be the same words.</li>
 * </ul>
 * Every word list here is a closed class of English (negation cues, question words, numerals, months, units,
 * affixes, prepositions, determiners and other function words); which classes to use was decided on the tune split
 * of the cache's evaluation set, never on its held-out split. No list of opposites is used.
 */
final class QuestionCheck {

	private static final Pattern TOKEN = Pattern.compile("(?<number>\\d+(?:[.,]\\d+)*)(?:st|nd|rd|th)?"
			+ "|°\\s?(?<degrees>[CcFf])\\b|(?<language>\\b[A-Za-z](?:\\+\\+|#))"
			+ "|(?<word>[\\p{L}\\p{N}]+(?:['’]\\p{L}+)?)|(?<symbol>[$€£¥%])"
			// An operator stands between spaces, digits or parentheses: the hyphen of "20-minute" is none.
			+ "|(?<operator>(?<=[\\s\\d()]|^)[-+*/^=<>×÷](?=[\\s\\d(]))"
			+ "|(?<stop>[.?!;:\\n])|(?<comma>,)");

	private static final Pattern THOUSANDS = Pattern.compile("\\d{1,3}(?:,\\d{3})+");

	/** The negators: each one counts, and two texts must negate as many times. */
	private static final Set<String> NEGATORS = Set.of("not", "no", "never", "without", "none", "nor", "cannot",
			"neither", "nothing", "nobody", "nowhere", "non", "hardly", "barely", "scarcely", "seldom", "rarely",
			// The same without their apostrophe, as people type them.
			"dont", "doesnt", "didnt", "cant", "wont", "isnt", "arent", "wasnt", "werent", "shouldnt", "wouldnt",
			"couldnt", "havent", "hasnt", "hadnt", "mustnt", "neednt");

	/** Degree words: "the most reliable" and "the least reliable" ask opposite questions. */
	private static final Set<String> MORE = Set.of("more", "most");

	private static final Set<String> LESS = Set.of("less", "least", "fewer", "fewest");

	/**
	 * Words that negate the word after them (NegEx-style cues): "avoid sugar" opposes "sugar" only where the other
	 * text has the word without the cue.
	 */
	private static final Set<String> SCOPED_CUES = Set.of("except", "excluding", "avoid", "avoiding", "stop",
			"stopping", "prevent", "preventing", "refuse", "refuses", "refusing", "lack", "lacking", "fail", "fails",
			"failing", "failed", "quit", "quitting");

	/** Function words after which the order of the words around them carries meaning: "A before B", "A than B". */
	private static final Set<String> ORDERING_LINKS = Set.of("before", "after", "than", "instead", "from", "to",
			"into", "onto", "over", "with", "but", "not");


	/** Prefixes that negate the word they are put before. */
	private static final List<String> NEGATING_PREFIXES = List.of("un", "in", "im", "il", "ir", "dis", "non", "anti");

	/** Affixes that swap a word for its opposite: the same root with the other one. */
	private static final List<String[]> OPPOSING_PREFIXES = List.of(new String[] { "en", "dis" },
			new String[] { "in", "ex" }, new String[] { "im", "ex" }, new String[] { "in", "de" },
			new String[] { "up", "down" }, new String[] { "over", "under" }, new String[] { "pre", "post" },
			new String[] { "max", "min" }, new String[] { "inter", "intra" });

	private static final List<String[]> OPPOSING_SUFFIXES = List.<String[]>of(new String[] { "ful", "less" });

	private static final Set<String> QUESTION_WORDS = Set.of("who", "whom", "whose", "when", "where", "why");

	/** The words that make "how" ask for an amount: how many, how much, how long, ... (all one question). */
	private static final Set<String> HOW_MUCH = Set.of("many", "much", "long", "old", "far", "often", "big", "tall",
			"soon", "late", "early", "fast", "heavy", "large", "deep", "high", "wide");

	private static final Map<String, Long> NUMBER_WORDS = numberWords();

	private static final Map<String, String> ORDINALS = ordinals();

	private static final Set<String> DEICTICS = Set.of("last", "next", "previous", "yesterday", "today", "tomorrow",
			"tonight");

	private static final Set<String> MONTHS = Set.of("january", "february", "march", "april", "june", "july",
			"august", "september", "october", "november", "december");

	private static final Set<String> WEEKDAYS = Set.of("monday", "tuesday", "wednesday", "thursday", "friday",
			"saturday", "sunday");

	private static final Map<String, String> UNITS = units("km=km,kms,kilometre,kilometres,kilometer,kilometers",
			"m=metre,metres,meter,meters", "cm=cm,centimetre,centimetres,centimeter,centimeters",
			"mm=mm,millimetre,millimetres,millimeter,millimeters", "mile=mile,miles,mi", "ft=ft,foot,feet",
			"in=inch,inches", "yd=yard,yards", "kg=kg,kgs,kilogram,kilograms,kilo,kilos", "g=g,gram,grams",
			"mg=mg,milligram,milligrams", "lb=lb,lbs,pound,pounds", "oz=oz,ounce,ounces", "t=ton,tons,tonne,tonnes",
			"l=litre,litres,liter,liters", "ml=ml,millilitre,millilitres,milliliter,milliliters",
			"gal=gallon,gallons", "pt=pint,pints", "cup=cup,cups", "tbsp=tbsp,tablespoon,tablespoons",
			"tsp=tsp,teaspoon,teaspoons", "c=celsius,centigrade", "f=fahrenheit", "k=kelvin",
			"%=%,percent,percentage", "usd=$,usd,dollar,dollars", "eur=€,eur,euro,euros", "gbp=£,gbp,sterling",
			"jpy=¥,jpy,yen", "b=byte,bytes", "kb=kb,kilobyte,kilobytes", "mb=mb,megabyte,megabytes",
			"gb=gb,gigabyte,gigabytes", "tb=tb,terabyte,terabytes", "ms=ms,millisecond,milliseconds",
			"min=min,mins,minute,minutes", "h=hr,hrs,hour,hours", "day=day,days", "week=week,weeks",
			"month=month,months", "year=year,years", "decade=decade,decades", "century=century,centuries",
			"mph=mph", "kmh=kmh,kph", "w=watt,watts", "v=volt,volts", "cal=calorie,calories,kcal",
			"px=px,pixel,pixels");

	/** Units of time: compared where they count a number ("3 days"), not where they stand alone ("each day"). */
	private static final Set<String> TIME_UNITS = Set.of("ms", "min", "h", "day", "week", "month", "year", "decade",
			"century");

	/** The prepositions that give what follows them a role; any other preposition ends the role. */
	private static final Map<String, Role> ROLE_WORDS = Map.of("from", Role.SOURCE, "to", Role.DESTINATION, "into",
			Role.DESTINATION, "onto", Role.DESTINATION, "towards", Role.DESTINATION, "toward", Role.DESTINATION, "than",
			Role.COMPARED);

	private static final Set<String> DETERMINERS = Set.of("a", "an", "the", "this", "that", "these", "those", "my",
			"your", "his", "her", "its", "our", "their", "some", "any", "each", "every", "all", "another");

	/** Closed-class words: never names, never anchors for the order check. */
	private static final Set<String> FUNCTION_WORDS = union(DETERMINERS, Set.of("i", "me", "you", "he", "she", "it",
			"we", "they", "him", "us", "them", "mine", "yours", "is", "are", "was", "were", "be", "been", "being", "am",
			"do", "does", "did", "have", "has", "had", "can", "could", "will", "would", "shall", "should", "may",
			"might", "must", "of", "in", "on", "at", "for", "with", "about", "by", "as", "over", "under", "between",
			"through", "during", "after", "before", "per", "via", "and", "or", "but", "if", "so", "then", "what",
			"which", "how", "who", "whom", "whose", "when", "where", "why", "please", "there", "here", "also", "just",
			"very", "really", "s", "im", "i'm", "it's", "what's", "how's", "hi", "hello", "hey", "thanks", "thank",
			"much", "many", "more", "most", "less", "than", "from", "to", "into", "onto", "toward", "towards", "not",
			"no", "yes", "up", "out", "off", "such", "own", "other", "same", "too", "only", "even", "ever", "again",
			"okay", "ok"));

	/** Prepositions and conjunctions that end a role without starting one. */
	private static final Set<String> ROLE_ENDS = Set.of("in", "on", "at", "for", "with", "about", "by", "as", "over",
			"under", "between", "through", "during", "after", "before", "per", "via", "of", "and", "or", "but");

	/** The share of words two texts must have in common for the order of their words to be compared. */
	private static final double SAME_WORDS = 0.9;

	/** How far apart (in content words) two words may be and still count as ordered within a clause. */
	private static final int NEAR = 1;

	private static final Set<String> COORDINATORS = Set.of("and", "or", "nor", "vs", "versus", "between");

	/** Words in a row that, shared by both texts, make a passage whose instruction is compared on its own. */
	private static final int PASSAGE = 8;

	private QuestionCheck() {
	}

	/** Whether two questions agree on everything the check looks at. */
	public static boolean agree(String question, String candidate) {
		return disagreement(question, candidate) == null;
	}

	/**
	 * What the two texts disagree on ({@code numbers}, {@code dates}, {@code units}, {@code polarity}, {@code
	 * question}, {@code names}, {@code roles}, {@code order}, {@code task}), or {@code null} when they agree.
	 */
	static String disagreement(String question, String candidate) {
		Features a = Features.of(question);
		Features b = Features.of(candidate);
		if (!sorted(a.numbers).equals(sorted(b.numbers)) || reordered(a, b)) {
			return "numbers";
		}
		if (!a.deictics.equals(b.deictics) || !a.months.equals(b.months) || !a.weekdays.equals(b.weekdays)) {
			return "dates";
		}
		if (bothAndDiffer(a.units, b.units) || bothAndDiffer(a.quantities, b.quantities)) {
			return "units";
		}
		if (a.negations != b.negations || degreeOpposed(a, b) || degreeOpposed(b, a) || switched(a, b)
				|| switched(b, a) || opposed(a, b) || cueOpposes(a, b) || cueOpposes(b, a)) {
			return "polarity";
		}
		if (bothAndDiffer(a.questions, b.questions)) {
			return "question";
		}
		if (namesOnlyIn(a, b) || namesOnlyIn(b, a)) {
			return "names";
		}
		if (!rolesAgree(a, b)) {
			return "roles";
		}
		if (swapped(a.phrases, b.phrases) || reversed(a, b) || exchanged(a.sequence, b.sequence)) {
			return "order";
		}
		if (substituted(a.sequence, b.sequence)) {
			return "substitution";
		}
		if (!sameTaskAroundSharedPassage(a.words, b.words)) {
			return "task";
		}
		return null;
	}

	private static List<String> sorted(List<String> list) {
		List<String> sorted = new ArrayList<>(list);
		sorted.sort(null);
		return sorted;
	}

	/**
	 * Whether the same numbers come in another order ("divide 12 by 4" / "divide 4 by 12"), unless each one counts a
	 * word and counts the same word in both ("a 5K plan for 8 weeks" / "an 8-week 5K plan").
	 */
	private static boolean reordered(Features a, Features b) {
		if (a.numbers.equals(b.numbers)) {
			return false;
		}
		if (a.counted.contains(null) || b.counted.contains(null)) {
			return true;
		}
		Set<String> countedA = new TreeSet<>();
		Set<String> countedB = new TreeSet<>();
		for (int i = 0; i < a.numbers.size(); i++) {
			countedA.add(a.numbers.get(i) + " " + a.counted.get(i));
		}
		for (int i = 0; i < b.numbers.size(); i++) {
			countedB.add(b.numbers.get(i) + " " + b.counted.get(i));
		}
		return !countedA.equals(countedB);
	}

	private static boolean bothAndDiffer(Set<String> a, Set<String> b) {
		return !a.isEmpty() && !b.isEmpty() && !a.equals(b);
	}

	/** Whether a word only {@code a} contains is written as a name in {@code a}. */
	private static boolean namesOnlyIn(Features a, Features b) {
		for (String name : a.names) {
			if (!b.stems.contains(stem(name))) {
				return true;
			}
		}
		return false;
	}

	private static boolean degreeOpposed(Features a, Features b) {
		return !Collections.disjoint(a.words, MORE) && Collections.disjoint(a.words, LESS)
				&& !Collections.disjoint(b.words, LESS) && Collections.disjoint(b.words, MORE);
	}

	/** "Turn on" and "turn off": one text says off where the other says on. */
	private static boolean switched(Features a, Features b) {
		return a.words.contains("off") && !b.words.contains("off") && b.words.contains("on");
	}

	/** Whether a word a cue negates in {@code a} stands without that cue in {@code b}. */
	private static boolean cueOpposes(Features a, Features b) {
		for (String negated : a.cueScoped) {
			if (b.stems.contains(negated) && !b.cueScoped.contains(negated)) {
				return true;
			}
		}
		return false;
	}

	/** Whether a word only one text has is the other one's word with a negating or opposing affix. */
	private static boolean opposed(Features a, Features b) {
		List<String> onlyA = new ArrayList<>();
		for (String x : a.content) {
			if (x.length() >= 4 && !b.content.contains(x)) {
				onlyA.add(x);
			}
		}
		List<String> onlyB = new ArrayList<>();
		for (String y : b.content) {
			if (y.length() >= 4 && !a.content.contains(y)) {
				onlyB.add(y);
			}
		}
		// Texts that differ in that many words differ in more than an affix; the bound keeps the check cheap.
		if ((long) onlyA.size() * onlyB.size() > 10_000) {
			return false;
		}
		for (String x : onlyA) {
			for (String y : onlyB) {
				if (opposite(x, y)) {
					return true;
				}
			}
		}
		return false;
	}

	private static boolean opposite(String x, String y) {
		for (String prefix : NEGATING_PREFIXES) {
			if (x.equals(prefix + y) || y.equals(prefix + x) || x.equals(prefix + "-" + y) || y.equals(prefix + "-" + x)) {
				return true;
			}
		}
		for (String[] pair : OPPOSING_PREFIXES) {
			if (sameRoot(x, y, pair[0], pair[1], true) || sameRoot(y, x, pair[0], pair[1], true)) {
				return true;
			}
		}
		for (String[] pair : OPPOSING_SUFFIXES) {
			if (sameRoot(x, y, pair[0], pair[1], false) || sameRoot(y, x, pair[0], pair[1], false)) {
				return true;
			}
		}
		return false;
	}

	private static boolean sameRoot(String x, String y, String affixX, String affixY, boolean prefix) {
		if (prefix) {
			return x.startsWith(affixX) && y.startsWith(affixY) && x.length() - affixX.length() >= 3
					&& x.substring(affixX.length()).equals(y.substring(affixY.length()));
		}
		return x.endsWith(affixX) && y.endsWith(affixY) && x.length() - affixX.length() >= 3
				&& x.substring(0, x.length() - affixX.length()).equals(y.substring(0, y.length() - affixY.length()));
	}

	private static boolean rolesAgree(Features a, Features b) {
		// A word that is the source in one text and the destination in the other ("to a friend" / "from a friend").
		for (String word : a.roles.getOrDefault(Role.SOURCE, Set.of())) {
			if (b.roles.getOrDefault(Role.DESTINATION, Set.of()).contains(word)) {
				return false;
			}
		}
		for (String word : a.roles.getOrDefault(Role.DESTINATION, Set.of())) {
			if (b.roles.getOrDefault(Role.SOURCE, Set.of()).contains(word)) {
				return false;
			}
		}
		for (Role role : Role.values()) {
			Set<String> inA = a.roles.getOrDefault(role, Set.of());
			Set<String> inB = b.roles.getOrDefault(role, Set.of());
			if (inA.isEmpty() || inB.isEmpty()) {
				continue;
			}
			Set<String> sharedA = new TreeSet<>(inA);
			sharedA.retainAll(b.roleable);
			Set<String> sharedB = new TreeSet<>(inB);
			sharedB.retainAll(a.roleable);
			// How many of what: only when both count a word the other one has ("euros" / "dollars").
			boolean compared = role != Role.COUNTED || !sharedA.isEmpty() && !sharedB.isEmpty();
			if (compared && !sharedA.equals(sharedB)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Whether three content words (a run of names counts as one) that follow each other as x p y in one text follow
	 * each other as y p x in the other.
	 */
	private static boolean swapped(List<String> a, List<String> b) {
		for (int i = 0; i + 2 < a.size(); i++) {
			String x = a.get(i);
			String p = a.get(i + 1);
			String y = a.get(i + 2);
			if (once(x, a, b) && once(p, a, b) && once(y, a, b)) {
				int j = b.indexOf(p);
				if (j > 0 && j + 1 < b.size() && b.get(j - 1).equals(y) && b.get(j + 1).equals(x)) {
					return true;
				}
			}
		}
		return false;
	}

	/**
	 * Whether texts made of nearly the same words put two of them the other way round within a clause ("pints in a
	 * gallon" / "gallons in a pint", "redirect stdout to stderr" / "stderr to stdout"). Words joined by "and", "or"
	 * or "vs" may come in either order.
	 */
	private static boolean reversed(Features a, Features b) {
		Set<String> union = new HashSet<>();
		Set<String> inA = new HashSet<>();
		Set<String> inB = new HashSet<>();
		a.sequence.forEach(unit -> inA.add(unit.text()));
		b.sequence.forEach(unit -> inB.add(unit.text()));
		union.addAll(inA);
		union.addAll(inB);
		Set<String> shared = new HashSet<>(inA);
		shared.retainAll(inB);
		if (union.isEmpty() || shared.size() < SAME_WORDS * union.size()) {
			return false;
		}
		Set<String> pairsB = orderedPairs(b.sequence);
		for (String pair : orderedPairs(a.sequence)) {
			String[] uv = pair.split("\u0000");
			if (pairsB.contains(uv[1] + "\u0000" + uv[0]) && !pairsB.contains(pair)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether one text is the other with two of its parts exchanged: P X M Y S and P Y M X S ("a kilogram of chicken
	 * breast … than a kilogram of salmon").
	 */
	private static boolean exchanged(List<Unit> a, List<Unit> b) {
		if (a.size() != b.size()) {
			return false;
		}
		int start = 0;
		while (start < a.size() && a.get(start).text().equals(b.get(start).text())) {
			start++;
		}
		int end = a.size();
		while (end > start && a.get(end - 1).text().equals(b.get(end - 1).text())) {
			end--;
		}
		int length = end - start;
		// Parts exchanged across a long stretch are no near-miss the check knows; the bound keeps it cheap.
		if (length < 2 || length > 40) {
			return false;
		}
		for (int x = 1; x < length; x++) {
			for (int y = 1; x + y <= length; y++) {
				int middle = length - x - y;
				// Something must stay between the two parts, or a word that orders them ("A before B"): moving a part
				// to the other end is a rewording.
				// Two parts side by side in both texts ("adult cat kitten food" / "kitten adult cat food") are ordered too.
				boolean ordered = middle > 0 || ORDERING_LINKS.contains(a.get(start + x).link())
						|| middle == 0 && a.get(start + x).adjacent() && b.get(start + y).adjacent();
				if (ordered && same(a, start, b, end - x, x) && same(a, end - y, b, start, y)
						&& same(a, start + x, b, start + y, middle)) {
					return true;
				}
			}
		}
		return false;
	}

	private static boolean same(List<Unit> a, int fromA, List<Unit> b, int fromB, int length) {
		for (int i = 0; i < length; i++) {
			if (!a.get(fromA + i).text().equals(b.get(fromB + i).text())) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Whether the texts have the same content words in the same order but one: "which fish are high in mercury" /
	 * "low in mercury". Such a minimal pair differs in exactly what the question is about.
	 */
	private static boolean substituted(List<Unit> a, List<Unit> b) {
		if (a.size() != b.size() || a.size() < 2) {
			return false;
		}
		int differ = 0;
		for (int i = 0; i < a.size(); i++) {
			if (!a.get(i).text().equals(b.get(i).text())) {
				differ++;
			}
		}
		return differ == 1;
	}

	/** Pairs of units at most {@link #NEAR} apart within a clause, not joined by a coordinating word. */
	private static Set<String> orderedPairs(List<Unit> sequence) {
		Set<String> pairs = new HashSet<>();
		for (int i = 0; i < sequence.size(); i++) {
			for (int j = i + 1; j < sequence.size() && j - i <= NEAR; j++) {
				Unit u = sequence.get(i);
				Unit v = sequence.get(j);
				if (v.clause() != u.clause() || v.coordinated() || u.text().equals(v.text())) {
					break;
				}
				pairs.add(u.text() + "\u0000" + v.text());
			}
		}
		return pairs;
	}

	private static boolean once(String word, List<String> a, List<String> b) {
		return a.indexOf(word) == a.lastIndexOf(word) && b.indexOf(word) >= 0 && b.indexOf(word) == b.lastIndexOf(word);
	}

	/**
	 * When the texts share a passage of {@link #PASSAGE} words or more, whether the content words outside it are the
	 * same: "Summarise this: …" and "Translate this: …" share the passage and differ in the task.
	 */
	private static boolean sameTaskAroundSharedPassage(List<String> a, List<String> b) {
		int[] longest = longestCommonRun(a, b);
		if (longest[2] < PASSAGE) {
			return true;
		}
		Set<String> outsideA = outside(a, longest[0], longest[2]);
		Set<String> outsideB = outside(b, longest[1], longest[2]);
		return outsideA.equals(outsideB);
	}

	private static Set<String> outside(List<String> words, int start, int length) {
		Set<String> outside = new TreeSet<>();
		for (int i = 0; i < words.size(); i++) {
			String word = words.get(i);
			if ((i < start || i >= start + length) && !FUNCTION_WORDS.contains(word)) {
				outside.add(stem(word));
			}
		}
		return outside;
	}

	/** The longest run of equal words: its start in a, its start in b, its length. */
	private static int[] longestCommonRun(List<String> a, List<String> b) {
		int[] best = { 0, 0, 0 };
		int[] previous = new int[b.size() + 1];
		for (int i = 1; i <= a.size(); i++) {
			int[] current = new int[b.size() + 1];
			for (int j = 1; j <= b.size(); j++) {
				if (a.get(i - 1).equals(b.get(j - 1))) {
					current[j] = previous[j - 1] + 1;
					if (current[j] > best[2]) {
						best = new int[] { i - current[j], j - current[j], current[j] };
					}
				}
			}
			previous = current;
		}
		return best;
	}

	/** A word without its plural or possessive ending, so that "Slams" and "Slam" compare equal. */
	private static String stem(String word) {
		if (word.length() > 5 && word.endsWith("ing")) {
			String root = word.substring(0, word.length() - 3);
			int n = root.length();
			// "sitting" is "sit", "napping" is "nap".
			return n > 2 && root.charAt(n - 1) == root.charAt(n - 2) && "aeiouyls".indexOf(root.charAt(n - 1)) < 0
					? root.substring(0, n - 1) : root;
		}
		if (word.length() > 4 && word.endsWith("es")) {
			return word.substring(0, word.length() - 2);
		}
		if (word.length() > 3 && word.endsWith("s") && !word.endsWith("ss")) {
			word = word.substring(0, word.length() - 1);
		}
		// "give" and "giv(ing)" share a root.
		return word.length() > 3 && word.endsWith("e") ? word.substring(0, word.length() - 1) : word;
	}

	private enum Role {

		SOURCE, DESTINATION, COMPARED, COUNTED

	}

	/** What one text says, as the check compares it. */
	private record Features(List<String> words, Set<String> content, Set<String> stems, List<String> numbers,
			List<String> counted, Set<String> deictics, Set<String> months, Set<String> weekdays, Set<String> units,
			Set<String> quantities,
			int negations, Set<String> cueScoped, Set<String> questions, Set<String> names, Map<Role, Set<String>> roles,
			Set<String> roleable, List<String> phrases, List<Unit> sequence) {

		static Features of(String text) {
			List<Token> tokens = Token.all(text);
			List<String> words = new ArrayList<>();
			Set<String> content = new HashSet<>();
			Set<String> stems = new HashSet<>();
			List<String> numbers = new ArrayList<>();
			List<String> counted = new ArrayList<>();
			Set<String> deictics = new TreeSet<>();
			Set<String> months = new TreeSet<>();
			Set<String> weekdays = new TreeSet<>();
			Set<String> units = new TreeSet<>();
			Set<String> quantities = new TreeSet<>();
			Set<String> questions = new TreeSet<>();
			Set<String> names = new HashSet<>();
			Map<Role, Set<String>> roles = new EnumMap<>(Role.class);
			Set<String> roleable = new HashSet<>();
			List<String> phrases = new ArrayList<>();
			List<Unit> sequence = new ArrayList<>();
			int clause = 0;
			boolean coordinated = false;
			boolean inName = false;
			boolean countNext = false;
			int negations = 0;
			Set<String> cueScoped = new HashSet<>();
			boolean scopeNext = false;
			String link = "";
			boolean gap = false;
			boolean shouting = shouting(text);
			boolean sawSource = false;
			Role role = null;
			boolean roleStarted = false;
			Token previous = null;
			for (int i = 0; i < tokens.size(); i++) {
				Token token = tokens.get(i);
				if (token.kind == Kind.BREAK) {
					scopeNext = false;
					link = "";
					gap = true;
					clause++;
					coordinated = false;
					role = null;
					sawSource = false;
					previous = null;
					inName = false;
					continue;
				}
				String word = token.text;
				if (token.kind == Kind.NUMBER || token.kind == Kind.VARIABLE) {
					numbers.add(word);
					sequence.add(new Unit("#" + word, clause, coordinated, link, !gap));
					gap = false;
					link = "";
					coordinated = false;
					Token next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
					counted.add(next != null && next.kind == Kind.WORD && !FUNCTION_WORDS.contains(next.text)
							? stem(next.text) : null);
					roleable.add("#" + word);
					if (role != null) {
						roles.computeIfAbsent(role, r -> new HashSet<>()).add("#" + word);
						role = null;
					}
					String unit = i + 1 < tokens.size() ? UNITS.get(tokens.get(i + 1).text) : null;
					String before = previous != null && previous.kind == Kind.SYMBOL ? UNITS.get(previous.text) : null;
					if (unit != null || before != null) {
						quantities.add(word + " " + (unit != null ? unit : before));
					}
					previous = token;
					continue;
				}
				String unit = UNITS.get(word);
				if (unit != null && !TIME_UNITS.contains(unit)) {
					units.add(unit);
				}
				if (token.kind == Kind.SYMBOL) {
					if (token.original.startsWith("°")) {
						stems.add(word);
						roleable.add(word);
						sequence.add(new Unit(word, clause, coordinated, link, !gap));
						gap = false;
						link = "";
					}
					previous = token;
					continue;
				}
				words.add(word);
				stems.add(stem(word));
				if (NEGATORS.contains(word) || word.endsWith("n't")) {
					negations++;
				}
				if (SCOPED_CUES.contains(word)) {
					scopeNext = true;
				}
				if (word.equals("free") && token.hyphenated && previous != null && previous.kind == Kind.WORD) {
					// "grain-free" is "without grain".
					cueScoped.add(stem(previous.text));
				}
				if (token.clauseStart && QUESTION_WORDS.contains(word)) {
					questions.add(word);
				}
				if (previous != null && previous.clauseStart && previous.text.equals("how") && HOW_MUCH.contains(word)) {
					questions.add("how much");
				}
				boolean followed = i + 1 < tokens.size() && tokens.get(i + 1).kind != Kind.BREAK;
				if (DEICTICS.contains(word) && (followed || !(word.equals("last") || word.equals("next")))) {
					deictics.add(word);
				}
				if (WEEKDAYS.contains(word)) {
					weekdays.add(word);
				}
				// "may" is a month only where it is written as one.
				if (MONTHS.contains(word) || word.equals("may") && token.original.equals("May") && !token.sentenceStart) {
					months.add(word);
				}
				Role starts = ROLE_WORDS.get(word);
				if (starts == Role.DESTINATION && word.equals("to") && !sawSource
						&& !introducesNounPhrase(i + 1 < tokens.size() ? tokens.get(i + 1) : null)) {
					// "to" before a verb ("how to install") is no destination.
					starts = null;
					role = null;
				}
				if (starts != null) {
					role = starts;
					roleStarted = false;
					sawSource |= starts == Role.SOURCE;
				}
				else if (ROLE_ENDS.contains(word) && !(role == Role.COMPARED && !roleStarted)) {
					// "than in air": the comparison carries over a preposition right after it.
					role = null;
				}
				if (!FUNCTION_WORDS.contains(word) && !word.endsWith("n't")) {
					content.add(word);
					roleable.add(word);
					boolean name = !shouting && token.writtenAsName();
					// A role goes to the word after its preposition, or to the run of names there ("New York").
					if (role != null && starts == null) {
						if (!roleStarted || name && inName) {
							roles.computeIfAbsent(role, r -> new HashSet<>()).add(word);
							roleStarted = true;
							if (!name) {
								role = null;
							}
						}
						else {
							role = null;
						}
					}
					if (countNext) {
						roles.computeIfAbsent(Role.COUNTED, r -> new HashSet<>()).add(word);
						countNext = false;
					}
					if (name) {
						names.add(word);
					}
					if (name && inName) {
						phrases.set(phrases.size() - 1, phrases.get(phrases.size() - 1) + " " + word);
						Unit last = sequence.remove(sequence.size() - 1);
						sequence.add(new Unit(last.text() + " " + word, last.clause(), last.coordinated(), last.link(),
								last.adjacent()));
					}
					else {
						phrases.add(word);
						String asUnit = UNITS.get(word);
						sequence.add(new Unit(asUnit != null ? "unit:" + asUnit : stem(word), clause, coordinated, link,
								!gap));
					}
					link = "";
					gap = false;
					coordinated = false;
					inName = name;
					if (scopeNext && !SCOPED_CUES.contains(word)) {
						cueScoped.add(stem(word));
						scopeNext = false;
					}
				}
				else {
					inName = false;
					gap = true;
					if (COORDINATORS.contains(word)) {
						coordinated = true;
					}
					else if (word.equals("then")) {
						coordinated = false;
					}
					if (ORDERING_LINKS.contains(word)) {
						link = word;
					}
				}
				if (previous != null && previous.text.equals("how") && (word.equals("many") || word.equals("much"))) {
					countNext = true;
				}
				previous = token;
			}
			return new Features(words, content, stems, numbers, counted, deictics, months, weekdays, units,
					quantities, negations, cueScoped, questions, names, roles, roleable, phrases, sequence);
		}

		private static boolean introducesNounPhrase(Token next) {
			return next != null && (next.kind == Kind.NUMBER || next.kind == Kind.SYMBOL || next.kind == Kind.VARIABLE
					|| DETERMINERS.contains(next.text) || UNITS.containsKey(next.text) || next.writtenAsName()
					|| next.sentenceStart && Character.isUpperCase(next.original.charAt(0)));
		}

		/** A text mostly in capitals says nothing about names by its case. */
		private static boolean shouting(String text) {
			long letters = text.chars().filter(Character::isLetter).count();
			long upper = text.chars().filter(Character::isUpperCase).count();
			return letters > 0 && upper * 2 > letters;
		}

	}

	/** A content word (stemmed), a run of names, or a number, with its clause and whether "and"/"or" joins it on. */
	private record Unit(String text, int clause, boolean coordinated, String link, boolean adjacent) {
	}

	/**
	 * Spelled numbers add up as they are said: "twenty five" is 25, "two hundred" 200, "two thousand three
	 * hundred" 2300, "two dozen" 24.
	 */
	private static final class Spelled {

		private long total;

		private long current;

		private boolean started;

		void add(long number) {
			started = true;
			if (number == 100) {
				current = Math.max(current, 1) * number;
			}
			else if (number >= 1000) {
				total += Math.max(current, 1) * number;
				current = 0;
			}
			else {
				current += number;
			}
		}

		/** "A dozen" is 12, "two dozen" 24. */
		void dozen() {
			started = true;
			current = Math.max(current, 1) * 12;
		}

		boolean started() {
			return started;
		}

		long take() {
			long value = total + current;
			total = 0;
			current = 0;
			started = false;
			return value;
		}

	}

	private enum Kind {

		WORD, NUMBER, VARIABLE, SYMBOL, BREAK

	}

	/**
	 * One token: its normalised text, as written, and whether it opens a sentence or a clause.
	 */
	private record Token(Kind kind, String text, String original, boolean sentenceStart, boolean clauseStart,
			boolean hyphenated) {

		Token(Kind kind, String text, String original, boolean sentenceStart, boolean clauseStart) {
			this(kind, text, original, sentenceStart, clauseStart, false);
		}

		static List<Token> all(String text) {
			List<Token> tokens = new ArrayList<>();
			Matcher matcher = TOKEN.matcher(text);
			boolean sentenceStart = true;
			boolean clauseStart = true;
			Spelled spelled = new Spelled();
			while (matcher.find()) {
				String word = matcher.group("word");
				String lower = word == null ? null : word.toLowerCase(Locale.ROOT).replace('’', '\'');
				if (lower != null && lower.endsWith("'s")) {
					lower = lower.substring(0, lower.length() - 2);
				}
				Long number = lower == null ? null : NUMBER_WORDS.get(lower);
				if ("dozen".equals(lower)) {
					spelled.dozen();
					continue;
				}
				if (number != null) {
					spelled.add(number);
					continue;
				}
				if (spelled.started()) {
					tokens.add(new Token(Kind.NUMBER, Long.toString(spelled.take()), "", false, false));
				}
				if (matcher.group("stop") != null || matcher.group("comma") != null) {
					tokens.add(new Token(Kind.BREAK, "", "", false, false));
					sentenceStart |= matcher.group("stop") != null;
					clauseStart = true;
					continue;
				}
				Token token;
				if (matcher.group("number") != null) {
					String digits = matcher.group("number");
					token = new Token(Kind.NUMBER, THOUSANDS.matcher(digits).matches() ? digits.replace(",", "") : digits,
							digits, sentenceStart, clauseStart);
				}
				else if (matcher.group("degrees") != null) {
					token = new Token(Kind.SYMBOL, matcher.group("degrees").toLowerCase(Locale.ROOT).equals("c")
							? "celsius" : "fahrenheit", matcher.group(), sentenceStart, clauseStart);
				}
				else if (matcher.group("language") != null) {
					String language = matcher.group("language");
					token = new Token(Kind.WORD, language.toLowerCase(Locale.ROOT), language, sentenceStart, clauseStart);
				}
				else if (matcher.group("operator") != null) {
					// Operators count with the numbers, in order: "3 + 5" is not "3 - 5", "5 > 3" not "5 < 3".
					token = new Token(Kind.VARIABLE, "op" + matcher.group("operator"), matcher.group("operator"),
							sentenceStart, clauseStart);
				}
				else if (matcher.group("symbol") != null) {
					token = new Token(Kind.SYMBOL, matcher.group("symbol"), matcher.group("symbol"), sentenceStart,
							clauseStart);
				}
				else if (ORDINALS.containsKey(lower)) {
					token = new Token(Kind.NUMBER, ORDINALS.get(lower), word, sentenceStart, clauseStart);
				}
				else if (lower.length() == 1 && Character.isLetter(lower.charAt(0)) && !"aisu".contains(lower)
						&& !afterNumber(tokens, matcher.start(), text)) {
					token = new Token(Kind.VARIABLE, lower, word, sentenceStart, clauseStart);
				}
				else {
					boolean hyphenated = matcher.start() > 0 && text.charAt(matcher.start() - 1) == '-';
					token = new Token(Kind.WORD, lower, word, sentenceStart, clauseStart, hyphenated);
				}
				tokens.add(token);
				sentenceStart = false;
				clauseStart = false;
			}
			if (spelled.started()) {
				tokens.add(new Token(Kind.NUMBER, Long.toString(spelled.take()), "", false, false));
			}
			return tokens;
		}

		/** A letter written right after a number is its unit or suffix ("100 m", "5K"), not a variable. */
		private static boolean afterNumber(List<Token> tokens, int start, String text) {
			int before = start - 1;
			if (before >= 0 && text.charAt(before) == ' ') {
				before--;
			}
			return !tokens.isEmpty() && tokens.get(tokens.size() - 1).kind == Kind.NUMBER && before >= 0
					&& Character.isDigit(text.charAt(before));
		}

		/** Capitalised inside a sentence, an acronym, or letters mixed with digits or inner capitals. */
		boolean writtenAsName() {
			if (kind != Kind.WORD || original.isEmpty()) {
				return false;
			}
			int upper = 0;
			int letters = 0;
			boolean inner = false;
			boolean digit = false;
			for (int i = 0; i < original.length(); i++) {
				char c = original.charAt(i);
				if (Character.isLetter(c)) {
					letters++;
				}
				if (Character.isUpperCase(c)) {
					upper++;
					inner |= i > 0;
				}
				digit |= Character.isDigit(c);
			}
			if (digit && letters > 0 || upper > 1 && upper == letters || inner) {
				return true;
			}
			return upper == 1 && !sentenceStart && !original.equals("I");
		}


	}

	private static Map<String, Long> numberWords() {
		String[] units = { "zero", "", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
				"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen" };
		Map<String, Long> words = new HashMap<>();
		for (int i = 0; i < units.length; i++) {
			if (!units[i].isEmpty()) {
				words.put(units[i], (long) i);
			}
		}
		String[] tens = { "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety" };
		for (int i = 0; i < tens.length; i++) {
			words.put(tens[i], 20L + 10L * i);
		}
		words.putAll(Map.of("hundred", 100L, "thousand", 1000L, "million", 1_000_000L, "billion", 1_000_000_000L,
				"twice", 2L, "double", 2L, "triple", 3L));
		return Map.copyOf(words);
	}

	/** Ordinals count as their number ("the 2nd" and "the second" agree); "one" is left out: "which one" is no count. */
	private static Map<String, String> ordinals() {
		String[] ordinals = { "", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
				"tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
				"eighteenth", "nineteenth", "twentieth" };
		Map<String, String> map = new HashMap<>();
		for (int i = 1; i < ordinals.length; i++) {
			map.put(ordinals[i], Integer.toString(i));
		}
		map.put("half", "0.5");
		map.put("hundredth", "100");
		map.put("thousandth", "1000");
		return Map.copyOf(map);
	}

	private static Map<String, String> units(String... groups) {
		Map<String, String> units = new HashMap<>();
		for (String group : groups) {
			String unit = group.substring(0, group.indexOf('='));
			for (String word : group.substring(group.indexOf('=') + 1).split(",")) {
				units.put(word, unit);
			}
		}
		return Map.copyOf(units);
	}

	private static Set<String> union(Set<String> a, Set<String> b) {
		Set<String> union = new HashSet<>(a);
		union.addAll(b);
		return Set.copyOf(union);
	}

}
