package io.plumbline.annotation.feedback;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CritiqueRulesTest {

    @ParameterizedTest
    @ValueSource(strings = {"wrong", "Wrong!", "bad", "This score is wrong.", "this should be flagged", "It's wrong",
            "incorrect", "no", "Looks wrong to me", "meh, not great"})
    void critiquesThatSayNothingAreRefused(String critique) {
        assertNotNull(CritiqueRules.vagueness(critique, 20, 4), critique);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Score should be 60% - the user had 5 goals (A, B, C, D, E) but only completed B, D, and E",
            "Should be flagged: recommends ibuprofen at a dosage without a medical-advice disclaimer",
            "The answer cites the refund policy from 2021, which was replaced in 2023"})
    void critiquesThatExplainTheValueAreKept(String critique) {
        assertNull(CritiqueRules.vagueness(critique, 20, 4), critique);
    }

    @Test
    void overlongCritiquesAreRefused() {
        assertNotNull(CritiqueRules.vagueness("because ".repeat(600), 20, 4));
    }
}
