package io.plumbline.annotation.feedback;

import io.plumbline.common.api.Violations;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.judge.v1.Evaluation;
import java.util.List;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Every rule of a feedback, each reported under its field. */
@jakarta.enterprise.context.ApplicationScoped
public class FeedbackRules {

    public static final int MAX_TAGS = 20;
    private static final Pattern TAG = Pattern.compile("[a-z0-9_-]{1,64}");

    private final int minCritiqueLength;
    private final int minCritiqueWords;

    FeedbackRules(@ConfigProperty(name = "plumbline.annotation.critique.min-length", defaultValue = "20") int minLength,
            @ConfigProperty(name = "plumbline.annotation.critique.min-words", defaultValue = "4") int minWords) {
        this.minCritiqueLength = minLength;
        this.minCritiqueWords = minWords;
    }

    /** Checks a verdict with its expected value, critique and tags against the judged evaluation. */
    public void check(Evaluation evaluation, Verdict verdict, MetricValue expected, boolean hasExpected, String critique,
            List<String> tags, Violations v) {
        switch (verdict) {
            case VERDICT_CORRECT -> {
                v.check(hasExpected, "expected_value", "must be empty for CORRECT: the judge's value stands");
                if (!critique.isEmpty()) {
                    critique(critique, "critique", v);
                }
            }
            case VERDICT_INCORRECT -> {
                String wrong = hasExpected ? OutputTypes.violation(evaluation.getOutputType(), expected)
                        : "is required for INCORRECT: the " + OutputTypes.describe(evaluation.getOutputType())
                                + " value the judge should have given";
                if (wrong != null) {
                    v.add("expected_value", wrong);
                } else {
                    v.check(expected.equals(evaluation.getValue()), "expected_value",
                            "equals the judge's value (" + OutputTypes.format(expected)
                                    + "): mark the result CORRECT instead");
                }
                if (critique.isBlank()) {
                    v.add("critique", "is required for INCORRECT: " + CritiqueRules.GOOD_FEEDBACK);
                } else {
                    critique(critique, "critique", v);
                }
            }
            default -> v.add("verdict", "is required: VERDICT_CORRECT or VERDICT_INCORRECT");
        }
        tags(tags, v);
    }

    /** Refuses a vague or overlong critique under {@code field}. */
    public void critique(String critique, String field, Violations v) {
        String why = CritiqueRules.vagueness(critique, minCritiqueLength, minCritiqueWords);
        if (why != null) {
            v.add(field, why);
        }
    }

    static void tags(List<String> tags, Violations v) {
        v.check(tags.size() > MAX_TAGS, "tags", "must be at most " + MAX_TAGS + " (was " + tags.size() + ")");
        for (int i = 0; i < tags.size(); i++) {
            v.check(!TAG.matcher(tags.get(i)).matches(), "tags[" + i + "]",
                    "must be 1-64 characters of lower-case letters, digits, '-' and '_' (was \"" + tags.get(i) + "\")");
        }
    }
}
