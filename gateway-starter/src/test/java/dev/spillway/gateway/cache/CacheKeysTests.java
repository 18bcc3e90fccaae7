package dev.spillway.gateway.cache;

import java.util.List;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.spillway.gateway.core.Hashes;
import dev.spillway.gateway.wire.LlmOperation;
import dev.spillway.gateway.wire.WireFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cache keys of a request: the exact key hashes the canonical effective request in its tenant, pool and model
 * scope (and nothing that does not change the answer), the partition is the same without the question but with the
 * embedding model, and the question is the last user input(s); requests that are not plain text get no keys.
 */
class CacheKeysTests {

	static final JsonMapper json = JsonMapper.builder().build();

	static final WireFormat CHAT = LlmOperation.CHAT_COMPLETIONS.format();

	static final String QUESTION = """
			{"temperature":0,"messages":[{"role":"system","content":"Be brief."},\
			{"role":"user","content":"What is 2+2?"}]}""";

	@Test
	void theExactKeyIsTheHashOfScopePoolModelAndTheCanonicalRequest() {
		CacheKeys keys = keys("tenant-a", "gpt", "gpt-4o", body("{\"temperature\":0,\"messages\":[{\"role\":\"user\","
				+ "\"content\":\"hi\"}],\"model\":\"gpt-4o\",\"stream\":true}"), 1, "embed");

		assertThat(keys.exact()).isEqualTo(Hashes.sha256Hex("tenant-a\ngpt\ngpt-4o\n"
				+ "{\"messages\":[{\"content\":\"\\u0000question\",\"role\":\"user\"}],\"temperature\":0}\nhi"));
		assertThat(keys.partition()).isEqualTo(Hashes.sha256Hex("tenant-a\ngpt\ngpt-4o\nembed\n"
				+ "{\"messages\":[{\"content\":\"\\u0000question\",\"role\":\"user\"}],\"temperature\":0}"));
		assertThat(keys.question()).isEqualTo("hi");
	}

	@Test
	void theQuestionsCaseSpacingAndFinalPunctuationDoNotChangeTheExactKeyButItsCodeAndTheSystemPromptDo() {
		CacheKeys asked = keys(body(chat("Be brief.", "What is the capital of France?")));

		assertThat(keys(body(chat("Be brief.", "  what is the   capital of france"))).exact()).isEqualTo(asked.exact());
		assertThat(keys(body(chat("Be brief.", "WHAT IS THE CAPITAL OF FRANCE!"))).exact()).isEqualTo(asked.exact());
		assertThat(keys(body(chat("be brief", "What is the capital of France?"))).exact()).isNotEqualTo(asked.exact());
		assertThat(keys(body(chat("Be brief.", "What is the capital of Franc?"))).exact()).isNotEqualTo(asked.exact());
		assertThat(keys(body(chat("Be brief.", "Is `Foo` a class?"))).exact())
			.isNotEqualTo(keys(body(chat("Be brief.", "Is `foo` a class?"))).exact())
			.isEqualTo(keys(body(chat("Be brief.", "IS `Foo` A CLASS"))).exact());
	}

	@Test
	void capitalsInsideAWordQuotationsAFactorialAndLineBreaksKeepTheirMeaningInTheExactKey() {
		assertThat(exact("Convert 5 MW to kW")).isNotEqualTo(exact("Convert 5 mW to kW"));
		assertThat(exact("Reverse \\\"AbC\\\"")).isNotEqualTo(exact("Reverse \\\"abc\\\""));
		assertThat(exact("Reverse 'AbC'")).isNotEqualTo(exact("Reverse 'abc'"));
		assertThat(exact("What is 5!")).isNotEqualTo(exact("What is 5?"));
		assertThat(exact("Count the lines:\\nx\\ny")).isNotEqualTo(exact("Count the lines: x y"))
			.isEqualTo(exact("count the lines:  \\n\\nx \\ny "));
		assertThat(exact("Don't panic.")).isEqualTo(exact("don't panic"));
	}

	private static String exact(String question) {
		return keys(body(chat("Be brief.", question))).exact();
	}

	private static String chat(String system, String question) {
		return "{\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},{\"role\":\"user\",\"content\":\""
				+ question + "\"}]}";
	}

	@Test
	void theOrderOfKeysInTheBodyDoesNotChangeTheKeys() {
		CacheKeys one = keys(body("{\"a\":{\"x\":1,\"y\":2},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
		CacheKeys other = keys(body("{\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"a\":{\"y\":2,\"x\":1}}"));

		assertThat(other).isEqualTo(one);
	}

	@Test
	void whatDoesNotChangeTheAnswerIsLeftOutOfBothKeys() {
		CacheKeys plain = keys(body(QUESTION));
		for (String ignored : List.of("\"stream\":true", "\"stream_options\":{\"include_usage\":true}",
				"\"user\":\"u-42\"", "\"metadata\":{\"trace\":\"t1\"}", "\"model\":\"gpt-4o-mini\"")) {
			CacheKeys with = keys(body("{" + ignored + "," + QUESTION.substring(1)));

			assertThat(with.exact()).as(ignored).isEqualTo(plain.exact());
			assertThat(with.partition()).as(ignored).isEqualTo(plain.partition());
		}
	}

	@Test
	void aParameterThatChangesTheAnswerChangesBothKeys() {
		CacheKeys cold = keys(body(QUESTION));
		CacheKeys warm = keys(body(QUESTION.replace("\"temperature\":0", "\"temperature\":0.7")));

		assertThat(warm.exact()).isNotEqualTo(cold.exact());
		assertThat(warm.partition()).isNotEqualTo(cold.partition());
		assertThat(warm.question()).isEqualTo(cold.question());
	}

	@Test
	void anotherQuestionInTheSameContextChangesTheExactKeyButSharesThePartition() {
		CacheKeys four = keys(body(QUESTION));
		CacheKeys other = keys(body(QUESTION.replace("What is 2+2?", "What is two plus two?")));

		assertThat(other.exact()).isNotEqualTo(four.exact());
		assertThat(other.partition()).isEqualTo(four.partition());
		assertThat(other.question()).isEqualTo("What is two plus two?");
	}

	@Test
	void anotherSystemPromptIsAnotherPartition() {
		CacheKeys brief = keys(body(QUESTION));
		CacheKeys verbose = keys(body(QUESTION.replace("Be brief.", "Be thorough.")));

		assertThat(verbose.partition()).isNotEqualTo(brief.partition());
		assertThat(verbose.question()).isEqualTo(brief.question());
	}

	@Test
	void tenantsNeverShareKeysForTheSameRequest() {
		CacheKeys acme = keys("acme", "gpt", "gpt-4o", body(QUESTION), 1, "embed");
		CacheKeys globex = keys("globex", "gpt", "gpt-4o", body(QUESTION), 1, "embed");

		assertThat(globex.exact()).isNotEqualTo(acme.exact());
		assertThat(globex.partition()).isNotEqualTo(acme.partition());
	}

	@Test
	void thePoolAndTheRoutedModelArePartOfTheScope() {
		CacheKeys base = keys("acme", "gpt", "gpt-4o", body(QUESTION), 1, "embed");
		CacheKeys otherPool = keys("acme", "gpt-eu", "gpt-4o", body(QUESTION), 1, "embed");
		CacheKeys otherModel = keys("acme", "gpt", "gpt-4o-mini", body(QUESTION), 1, "embed");

		assertThat(otherPool.exact()).isNotEqualTo(base.exact());
		assertThat(otherPool.partition()).isNotEqualTo(base.partition());
		assertThat(otherModel.exact()).isNotEqualTo(base.exact());
		assertThat(otherModel.partition()).isNotEqualTo(base.partition());
	}

	@Test
	void theEmbeddingModelChangesThePartitionOnly() {
		CacheKeys small = keys("acme", "gpt", "gpt-4o", body(QUESTION), 1, "embed-small");
		CacheKeys large = keys("acme", "gpt", "gpt-4o", body(QUESTION), 1, "embed-large");

		assertThat(large.exact()).isEqualTo(small.exact());
		assertThat(large.partition()).isNotEqualTo(small.partition());
	}

	@Test
	void severalLastUserMessagesMakeOneQuestionAndLeaveTheContext() {
		String conversation = """
				{"messages":[{"role":"user","content":"Hello"},{"role":"assistant","content":"Hi!"},\
				{"role":"user","content":"Tell me a joke"}]}""";
		String otherOpening = conversation.replace("Hello", "Good morning");

		CacheKeys lastTwo = keys("acme", "gpt", "gpt-4o", body(conversation), 2, "embed");
		CacheKeys lastTwoOtherOpening = keys("acme", "gpt", "gpt-4o", body(otherOpening), 2, "embed");
		CacheKeys lastOne = keys("acme", "gpt", "gpt-4o", body(conversation), 1, "embed");
		CacheKeys lastOneOtherOpening = keys("acme", "gpt", "gpt-4o", body(otherOpening), 1, "embed");

		assertThat(lastTwo.question()).isEqualTo("Hello\nTell me a joke");
		assertThat(lastTwoOtherOpening.partition()).isEqualTo(lastTwo.partition());
		assertThat(lastOne.question()).isEqualTo("Tell me a joke");
		assertThat(lastOneOtherOpening.partition()).isNotEqualTo(lastOne.partition());
	}

	@Test
	void aMessageThatIsNotPlainTextGetsNoKeys() {
		ObjectNode parts = body("""
				{"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"}]}]}""");

		assertThat(keys(parts)).isNull();
	}

	@Test
	void anOperationTheCacheDoesNotServeGetsNoKeys() {
		ObjectNode embeddings = body("{\"input\":\"hello\",\"model\":\"text-embedding-3-small\"}");

		assertThat(CacheKeys.of("acme", "gpt", "m", LlmOperation.EMBEDDINGS.format(), embeddings, 1, "embed"))
			.isNull();
	}

	@Test
	void canonicalJsonSortsKeysAtEveryDepthKeepsArrayOrderAndEscapesStrings() {
		ObjectNode node = body("{\"b\":{\"y\":[3,1,{\"k\":null,\"j\":true}],\"x\":1.5},\"a\":\"say \\\"hi\\\"\\n\"}");

		assertThat(CacheKeys.canonical(node))
			.isEqualTo("{\"a\":\"say \\\"hi\\\"\\n\",\"b\":{\"x\":1.5,\"y\":[3,1,{\"j\":true,\"k\":null}]}}");
	}

	private static CacheKeys keys(ObjectNode body) {
		return keys("acme", "gpt", "gpt-4o", body, 1, "embed");
	}

	private static CacheKeys keys(String scope, String pool, String model, ObjectNode body, int lastUserMessages,
			String embeddingModel) {
		return CacheKeys.of(scope, pool, model, CHAT, body, lastUserMessages, embeddingModel);
	}

	private static ObjectNode body(String text) {
		return (ObjectNode) json.readTree(text);
	}

}
