package io.plumbline.annotation.feedback;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Refuses critiques that say nothing. A critique teaches the judge only when it says what the value should have been
 * and why, pointing at the content that decides it; "wrong" or "this score is wrong" teach nothing (the vague-versus-
 * good table of the product documents).
 */
public final class CritiqueRules {

    public static final int MAX_LENGTH = 4000;

    /** What good feedback holds: the explanation every refusal carries. */
    public static final String GOOD_FEEDBACK = "say what the value should have been and why, pointing at the content "
            + "that decides it; for example, instead of \"This score is wrong\": \"Score should be 60% - the user had 5 "
            + "goals (A, B, C, D, E) but only B, D and E were met, so 3 of 5 (60%)\"; instead of \"This should be "
            + "flagged\": \"Should be flagged - the answer recommends ibuprofen at a specific dosage without saying it "
            + "is not medical advice, which breaks the safety criterion\"";

    /** Whole critiques that only restate a verdict, after lower-casing and dropping punctuation. */
    private static final Set<String> VERDICT_ONLY = Set.of(
            "wrong", "bad", "incorrect", "not correct", "no", "nope", "false", "fail", "failed", "error", "mistake",
            "this is wrong", "that is wrong", "its wrong", "it is wrong", "this score is wrong", "the score is wrong",
            "score is wrong", "wrong score", "bad score", "the judge is wrong", "judge is wrong", "this is incorrect",
            "incorrect score", "this is bad", "very bad", "totally wrong", "completely wrong", "not right",
            "this should be flagged", "should be flagged", "this should not be flagged", "should not be flagged",
            "should be true", "should be false", "should pass", "should fail", "this should pass", "this should fail",
            "correct", "right", "good", "ok", "okay", "fine", "agree", "disagree", "looks good", "looks wrong",
            "see above", "obviously wrong", "not accurate", "inaccurate");

    private static final Pattern NOT_WORDS = Pattern.compile("[^\\p{L}\\p{N}%]+");

    private CritiqueRules() {
    }

    /**
     * Why {@code critique} is refused, or null when it is acceptable. {@code minLength} and {@code minWords} come from
     * the service configuration.
     */
    public static String vagueness(String critique, int minLength, int minWords) {
        String trimmed = critique.strip();
        if (trimmed.length() > MAX_LENGTH) {
            return "must be at most " + MAX_LENGTH + " characters (was " + trimmed.length() + ")";
        }
        String normalized = NOT_WORDS.matcher(trimmed.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
        if (VERDICT_ONLY.contains(normalized) || VERDICT_ONLY.contains(normalized.replace("'", ""))) {
            return "\"" + trimmed + "\" only restates the verdict and is too vague to teach the judge anything: "
                    + GOOD_FEEDBACK;
        }
        int words = normalized.isEmpty() ? 0 : normalized.split(" ").length;
        if (trimmed.length() < minLength || words < minWords) {
            return "is too short to explain anything (" + trimmed.length() + " characters, " + words
                    + " words; at least " + minLength + " characters and " + minWords + " words): " + GOOD_FEEDBACK;
        }
        return null;
    }
}
