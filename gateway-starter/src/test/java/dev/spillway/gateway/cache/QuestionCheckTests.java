package dev.spillway.gateway.cache;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each rule of the second check on examples of its own (none taken from the evaluation set): what it turns away, and
 * the rewording it lets through.
 */
class QuestionCheckTests {

	@ParameterizedTest(name = "{0}: \"{1}\" / \"{2}\"")
	@CsvSource(delimiter = '|', textBlock = """
			numbers      | How far can I drive on 40 litres?              | How far can I drive on 45 litres?
			numbers      | Divide 90 by 3.                                | Divide 3 by 90.
			numbers      | Who came third in the race?                    | Who came 4th in the race?
			numbers      | Is twenty five a square number?                | Is 24 a square number?
			numbers      | What is 3 + 5?                                 | What is 3 - 5?
			numbers      | Is 5 > 3?                                      | Is 5 < 3?
			numbers      | Are two dozen eggs enough?                     | Are 14 eggs enough?
			numbers      | Did two thousand three hundred people come?    | Did 200300 people come?
			names        | How do I reverse a string in C++?              | How do I reverse a string in C#?
			polarity     | Why do cats purr?                              | Why dont cats purr?
			dates        | What happened last week?                        | What happened next week?
			dates        | Is the shop open on Sunday?                    | Is the shop open on Monday?
			units        | Convert 3 ounces to grams.                     | Convert 3 pounds to grams.
			units        | How many yen is 20 euros?                      | How many yen is 20 dollars?
			polarity     | Which cheeses contain lactose?                 | Which cheeses do not contain lactose?
			polarity     | How do I print with colour?                    | How do I print without colour?
			polarity     | Is this contract enforceable?                  | Is this contract unenforceable?
			polarity     | How do I enable the firewall?                  | How do I disable the firewall?
			polarity     | Is the plugin useful?                          | Is the plugin useless?
			question     | Who designed the Eiffel Tower?                 | When was the Eiffel Tower designed?
			names        | How do I get a work permit in Norway?          | How do I get a work permit in Denmark?
			names        | Best laptop for FreeBSD?                       | Best laptop for OpenBSD?
			roles        | Ship a parcel from Lisbon to Porto.            | Ship a parcel from Porto to Lisbon.
			roles        | Is Venus hotter than Mercury?                  | Is Mercury hotter than Venus?
			order        | Can a tenant evict a subtenant?                | Can a subtenant evict a tenant?
			order        | Does a heron eat frogs?                        | Do frogs eat a heron?
			roles        | Is a kilobyte more than a kibibyte?            | Is a kibibyte more than a kilobyte?
			order        | Should the buyer pay the seller?               | Should the seller pay the buyer?
			substitution | Which plants grow well in shade?               | Which plants grow well in sun?
			task         | Shorten this: "The meeting is moved to the large room on the second floor near the lifts." | Make this sound friendlier: "The meeting is moved to the large room on the second floor near the lifts."
			""")
	void turnsAway(String rule, String question, String candidate) {
		assertThat(QuestionCheck.disagreement(question, candidate)).isEqualTo(rule);
	}

	@ParameterizedTest(name = "\"{0}\" / \"{1}\"")
	@CsvSource(delimiter = '|', textBlock = """
			How far can I drive on 40 litres?               | On 40 litres, how far can I drive?
			What is the capital of Portugal?                | what is the capital of portugal
			Why won't my kettle switch off?                 | My kettle does not switch off, why?
			Ship a parcel from Lisbon to Porto.             | How do I send a parcel to Porto from Lisbon?
			Is twenty five a square number?                 | Is 25 a square number?
			Who came third in the race?                     | In the race, who came 3rd?
			What is the difference between tea and coffee?  | What is the difference between coffee and tea?
			Plan a 10K run for 6 weeks.                     | Plan a 6-week 10K run.
			How to install Git on Ubuntu?                   | Tell me how to install Git on Ubuntu.
			Are two dozen eggs enough?                      | Are 24 eggs enough?
			Did two thousand three hundred people come?     | Did 2300 people come?
			Book a 20-minute slot.                          | Please book a 20-minute slot.
			""")
	void letsThrough(String question, String candidate) {
		assertThat(QuestionCheck.disagreement(question, candidate)).isNull();
	}

}
