package dev.spillway.clients;

/** What the sample's simulated deployments write: the words of one sentence, one per completion token, repeated. */
final class MockAnswer {

	private static final String[] WORDS = ("Spillway keeps every answer flowing while the busy deployments rest and "
			+ "the quiet ones take their turn so nobody waits longer than they must for a reply").split(" ");

	private MockAnswer() {
	}

	/** The answer to a request for {@code completionTokens} tokens. */
	static String words(int completionTokens) {
		StringBuilder text = new StringBuilder();
		for (int i = 0; i < completionTokens; i++) {
			text.append(i == 0 ? "" : " ").append(WORDS[i % WORDS.length]);
		}
		return text.toString();
	}

}
