package dev.spillway.gateway.request;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LlmExchangeSlotsTests {

	static final Slot<String> CLAIM = Slot.named("claim");

	static final Slot<String> ALSO_CLAIM = Slot.named("claim");

	@Test
	void aSlotHoldsWhatItsOwnerPutThereAndNothingElse() {
		LlmExchange llm = new LlmExchange("gpt", "r-1");

		assertThat(llm.get(CLAIM)).isNull();
		llm.put(CLAIM, "mine");

		assertThat(llm.get(CLAIM)).isEqualTo("mine");
		assertThat(llm.get(ALSO_CLAIM)).as("slots are told apart by identity, not by name").isNull();
	}

	@Test
	void puttingNullEmptiesTheSlot() {
		LlmExchange llm = new LlmExchange("gpt", "r-1");
		llm.put(CLAIM, "mine");

		llm.put(CLAIM, null);

		assertThat(llm.get(CLAIM)).isNull();
	}

	@Test
	void theBackendIsTheOneOfTheCurrentAttemptAndAttemptsAreCounted() {
		LlmExchange llm = new LlmExchange("gpt", "r-1");

		assertThat(llm.backend()).isNull();
		assertThat(llm.attempts()).isZero();
		assertThat(llm.answerSource()).isEqualTo(AnswerSource.BACKEND);
	}

}
